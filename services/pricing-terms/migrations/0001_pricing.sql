-- Price lists, their items, trading terms, quotes and sales. Each row keeps its resource as the
-- serialized protobuf message (`body`: what Get returns, less name, etag and times, which come
-- from the columns) next to the columns that lists filter, order and constrain on. `version`
-- increments on every change; it is the etag.

-- The exclusion constraint over (account, validity) needs gist equality on uuid.
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;

CREATE TABLE price_lists (
  id uuid PRIMARY KEY,
  display_name text NOT NULL,
  currency_code text NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
  status smallint NOT NULL,
  base_price_list_id uuid REFERENCES price_lists (id),
  author text NOT NULL,
  body bytea NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX price_lists_by_create_time ON price_lists (create_time, id);
CREATE INDEX price_lists_by_display_name ON price_lists (display_name, id);

CREATE TABLE price_list_items (
  price_list_id uuid NOT NULL REFERENCES price_lists (id),
  sku text NOT NULL,
  -- A surrogate key for keyset paging (ties in the sort column are broken by it).
  id uuid NOT NULL UNIQUE,
  product_name text NOT NULL,
  category text NOT NULL,
  unit text NOT NULL,
  body bytea NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (price_list_id, sku)
);
-- Every version of every list and item, stamped with the time it took effect (its transaction's
-- start), so that a quote for a past day prices from the lists and items as they stood then.
CREATE TABLE price_list_history (
  price_list_id uuid NOT NULL REFERENCES price_lists (id),
  version bigint NOT NULL,
  valid_since timestamptz NOT NULL DEFAULT now(),
  body bytea NOT NULL,
  PRIMARY KEY (price_list_id, version)
);
CREATE TABLE price_list_item_history (
  price_list_id uuid NOT NULL,
  sku text NOT NULL,
  version bigint NOT NULL,
  valid_since timestamptz NOT NULL DEFAULT now(),
  body bytea NOT NULL,
  PRIMARY KEY (price_list_id, sku, version),
  FOREIGN KEY (price_list_id, sku) REFERENCES price_list_items (price_list_id, sku)
);

CREATE INDEX price_list_items_by_product_name ON price_list_items (price_list_id, product_name, id);
CREATE INDEX price_list_items_by_update_time ON price_list_items (price_list_id, update_time, id);

-- Validity is a daterange of whole days, [valid_from, valid_until] inclusive (open-ended when
-- valid_until is unset). Terms that are or were in force (ACTIVE 3, EXPIRED 4, SUPERSEDED 5)
-- never overlap for one account: the database refuses it, whatever the code does, so "the
-- terms in force on a day" always has one answer, today and for any past day.
CREATE TABLE trading_terms (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL,
  price_list_id uuid NOT NULL REFERENCES price_lists (id),
  status smallint NOT NULL,
  author text NOT NULL,
  approver text NOT NULL DEFAULT '',
  validity daterange NOT NULL,
  body bytea NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT trading_terms_in_force_do_not_overlap
    EXCLUDE USING gist (account_id WITH =, validity WITH &&) WHERE (status IN (3, 4, 5))
);
CREATE INDEX trading_terms_by_account ON trading_terms (account_id, create_time, id);
CREATE INDEX trading_terms_by_create_time ON trading_terms (create_time, id);

CREATE TABLE quotes (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL,
  status smallint NOT NULL,
  author text NOT NULL,
  body bytea NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quotes_by_create_time ON quotes (create_time, id);
CREATE INDEX quotes_by_account ON quotes (account_id, create_time, id);

-- A quote is sold at most once.
CREATE TABLE sales (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL,
  quote_id uuid UNIQUE REFERENCES quotes (id),
  agent text NOT NULL,
  payment_method smallint NOT NULL,
  body bytea NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sales_by_create_time ON sales (create_time, id);
CREATE INDEX sales_by_account ON sales (account_id, create_time, id);
