-- A sale's total as columns beside its body, so that a period's sales add up in one aggregate
-- (volume rebates). Sales recorded before this migration have none: a rebate statement counts
-- them as left out and says so.
ALTER TABLE sales ADD COLUMN currency_code text, ADD COLUMN total_units bigint,
  ADD COLUMN total_nanos integer;
