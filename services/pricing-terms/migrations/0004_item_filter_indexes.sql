-- Indexes for the price-list item filters at a million items (docs/performance.md, "Lists at
-- scale"). Items are listed by SKU by default, which no index gave in order (the primary key
-- orders by SKU alone, the page by SKU and id): every page sorted the whole list.
CREATE INDEX price_list_items_by_sku ON price_list_items (price_list_id, sku, id);
-- One category of a list.
CREATE INDEX price_list_items_by_category ON price_list_items (price_list_id, category, sku, id);
-- Substring and free text (`sku:4242`, `product_name:bearing`, `"valve m3"`) are ILIKE
-- '%value%': pg_trgm's GIN indexes answer values of three characters or more, across lists (the
-- list's own rows are then picked from them), a value that matches nothing included.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE INDEX price_list_items_sku_trgm ON price_list_items USING gin (sku gin_trgm_ops)
  WITH (fastupdate = off);
CREATE INDEX price_list_items_product_name_trgm ON price_list_items
  USING gin (product_name gin_trgm_ops) WITH (fastupdate = off);
