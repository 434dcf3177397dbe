-- What the contact service learns from other services' events (common::PeerEventFeed; cursors in
-- peer_feeds) and what it derives from them.
--
-- purchases: one row per sale of pricing-terms that names a contact (SaleRecorded), keyed by the
-- sale, so an event applied twice cannot count twice. The total is kept in nanos of its currency.
CREATE TABLE purchases (
  sale text PRIMARY KEY,
  contact_id uuid NOT NULL REFERENCES contacts (id),
  account_id uuid,
  currency text NOT NULL,
  total_nanos numeric NOT NULL,
  sale_time timestamptz NOT NULL
);
CREATE INDEX purchases_by_contact ON purchases (contact_id, sale_time);

-- Repeat customers (README "Repeat customers"): the counts the rule reads, kept on the contact by
-- triggers on interactions and purchases, so every path that writes those (a logged interaction,
-- a call outcome, a merge moving history, an imported sale) keeps them right. Conversations are
-- interactions whose outcome is not NO_ANSWER (1) or WRONG_NUMBER (8).
ALTER TABLE contacts
  ADD COLUMN purchase_count integer NOT NULL DEFAULT 0,
  ADD COLUMN conversation_count integer NOT NULL DEFAULT 0,
  ADD COLUMN repeat_customer boolean GENERATED ALWAYS AS (purchase_count >= 2) STORED,
  ADD COLUMN relationship_strength smallint
    GENERATED ALWAYS AS (LEAST(100, 20 * LEAST(purchase_count, 4) + 4 * LEAST(conversation_count, 5)))
    STORED;
CREATE INDEX contacts_repeat ON contacts (relationship_strength) WHERE delete_time IS NULL;

CREATE FUNCTION recount_contact(contact uuid) RETURNS void LANGUAGE sql AS $$
  UPDATE contact.contacts SET
    purchase_count = (SELECT count(*) FROM contact.purchases p WHERE p.contact_id = contact),
    conversation_count = (SELECT count(*) FROM contact.interactions i
                          WHERE i.contact_id = contact AND i.outcome NOT IN (1, 8))
  WHERE id = contact
$$;

CREATE FUNCTION recount_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM contact.recount_contact(OLD.contact_id);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF TG_OP = 'INSERT' OR NEW.contact_id IS DISTINCT FROM OLD.contact_id THEN
      PERFORM contact.recount_contact(NEW.contact_id);
    END IF;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER interactions_recount AFTER INSERT OR DELETE OR UPDATE OF contact_id, outcome
  ON interactions FOR EACH ROW EXECUTE FUNCTION recount_contacts();
CREATE TRIGGER purchases_recount AFTER INSERT OR DELETE OR UPDATE OF contact_id
  ON purchases FOR EACH ROW EXECUTE FUNCTION recount_contacts();

UPDATE contacts c SET conversation_count = n.count
  FROM (SELECT contact_id, count(*) AS count FROM interactions WHERE outcome NOT IN (1, 8)
        GROUP BY contact_id) n
  WHERE n.contact_id = c.id;

-- Name trigrams of contacts stored before 0005 cannot be built here (the names are sealed): such
-- rows are marked, and RotateContactKeys builds them, as it does for rows under an older key.
-- Rows written from now on are built as they are written.
ALTER TABLE contacts ADD COLUMN name_trigrams_built boolean NOT NULL DEFAULT false;
ALTER TABLE contacts ALTER COLUMN name_trigrams_built SET DEFAULT true;
UPDATE contacts SET name_trigrams_built = true WHERE cardinality(name_trigrams) > 0;
CREATE INDEX contacts_trigrams_to_build ON contacts (id) WHERE NOT name_trigrams_built;
