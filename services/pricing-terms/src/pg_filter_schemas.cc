#include "pg_filter_schemas.h"

#include "accord/common/filter_fields.h"
#include "accord/common/list_query.h"
#include "accord/pricing/v1/price_list.pb.h"
#include "accord/pricing/v1/quote.pb.h"
#include "accord/pricing/v1/trading_terms.pb.h"

namespace accord::pricing {
namespace {

namespace filter = common::filter;

// Price lists, over the row alias `r` of the price-list List query.
const filter::Schema& PriceListFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        {"display_name", "r.display_name", filter::FieldType::kString, {}, {}},
        {"currency_code", "r.currency_code", filter::FieldType::kString, {}, {}},
        {"status",
         "r.status",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::PriceListStatus_descriptor(), "PRICE_LIST_STATUS_"),
         {}},
        filter::ReferenceField("base_price_list", "priceLists", "r.base_price_list_id"),
        {"author", "r.author", filter::FieldType::kString, {}, {}},
        {"create_time", "r.create_time", filter::FieldType::kTimestamp, {}, {}},
        {"update_time", "r.update_time", filter::FieldType::kTimestamp, {}, {}},
    };
    schema.text_search_sql = "r.display_name ILIKE {}";
    return schema;
  }();
  return kSchema;
}

// Items of a list, over the row alias `r` of the item List query.
const filter::Schema& ItemFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        {"sku", "r.sku", filter::FieldType::kString, {}, {}},
        {"product_name", "r.product_name", filter::FieldType::kString, {}, {}},
        {"category", "r.category", filter::FieldType::kString, {}, {}},
        {"unit", "r.unit", filter::FieldType::kString, {}, {}},
        {"create_time", "r.create_time", filter::FieldType::kTimestamp, {}, {}},
        {"update_time", "r.update_time", filter::FieldType::kTimestamp, {}, {}},
    };
    schema.text_search_sql = "r.sku ILIKE {} OR r.product_name ILIKE {}";
    return schema;
  }();
  return kSchema;
}

// Trading terms, over the row alias `r` of the terms List query.
const filter::Schema& TermsFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        {"status",
         "r.status",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::TradingTermsStatus_descriptor(), "TRADING_TERMS_STATUS_"),
         {}},
        filter::ReferenceField("price_list", "priceLists", "r.price_list_id"),
        {"author", "r.author", filter::FieldType::kString, {}, {}},
        {"approver", "r.approver", filter::FieldType::kString, {}, {}},
        {"create_time", "r.create_time", filter::FieldType::kTimestamp, {}, {}},
        {"update_time", "r.update_time", filter::FieldType::kTimestamp, {}, {}},
    };
    return schema;
  }();
  return kSchema;
}

// Quotes, over the row alias `r` of the quote List query.
const filter::Schema& QuoteFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        filter::ReferenceField("account", "accounts", "r.account_id"),
        {"status",
         "r.status",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::QuoteStatus_descriptor(), "QUOTE_STATUS_"),
         {}},
        {"author", "r.author", filter::FieldType::kString, {}, {}},
        {"create_time", "r.create_time", filter::FieldType::kTimestamp, {}, {}},
        {"update_time", "r.update_time", filter::FieldType::kTimestamp, {}, {}},
    };
    return schema;
  }();
  return kSchema;
}

// Sales, over the row alias `r` of the sale List query.
const filter::Schema& SaleFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        filter::ReferenceField("account", "accounts", "r.account_id"),
        filter::ReferenceField("quote", "quotes", "r.quote_id"),
        {"agent", "r.agent", filter::FieldType::kString, {}, {}},
        {"payment_method",
         "r.payment_method",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::PaymentMethod_descriptor(), "PAYMENT_METHOD_"),
         {}},
        {"create_time", "r.create_time", filter::FieldType::kTimestamp, {}, {}},
    };
    return schema;
  }();
  return kSchema;
}

}  // namespace

const filter::Schema& FilterSchemaOf(Listed listed) {
  switch (listed) {
    case Listed::kPriceLists:
      return PriceListFilterSchema();
    case Listed::kItems:
      return ItemFilterSchema();
    case Listed::kTerms:
      return TermsFilterSchema();
    case Listed::kQuotes:
      return QuoteFilterSchema();
    case Listed::kSales:
      break;
  }
  return SaleFilterSchema();
}

}  // namespace accord::pricing
