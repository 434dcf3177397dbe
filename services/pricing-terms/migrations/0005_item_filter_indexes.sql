-- Indexes for the price-list item filters at a million items (docs/performance.md, "Lists at
-- scale"). Items are listed by SKU by default, which no index gave in order (the primary key
-- orders by SKU alone, the page by SKU and id): every page sorted the whole list.
CREATE INDEX price_list_items_by_sku ON price_list_items (price_list_id, sku, id);
-- One category of a list, by SKU or by name (a category's names are alike, so walking the name
-- index for them read most of the list: 534 ms for the first page), and items by creation time
-- (`create_time = ...` scanned the list).
CREATE INDEX price_list_items_by_category ON price_list_items (price_list_id, category, sku, id);
CREATE INDEX price_list_items_by_category_name
  ON price_list_items (price_list_id, category, product_name, id);
CREATE INDEX price_list_items_by_create_time ON price_list_items (price_list_id, create_time, id);
-- Substring and free text (`sku:4242`, `product_name:bearing`, `"valve m3"`) are ILIKE
-- '%value%': pg_trgm's GIN indexes answer values of three characters or more, across lists (the
-- list's own rows are then picked from them), a value that matches nothing included.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE INDEX price_list_items_sku_trgm ON price_list_items USING gin (sku gin_trgm_ops)
  WITH (fastupdate = off);
CREATE INDEX price_list_items_product_name_trgm ON price_list_items
  USING gin (product_name gin_trgm_ops) WITH (fastupdate = off);
