-- Appointments. The staff of a live appointment are repeated in appointment_staff with its time
-- range, where an exclusion constraint (btree_gist: equality on text inside a GiST index)
-- refuses two overlapping ranges for one staff member, even from concurrent transactions.
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;

CREATE TABLE appointments (
  id uuid PRIMARY KEY,
  start_time timestamptz NOT NULL,
  end_time timestamptz NOT NULL,
  place text NOT NULL DEFAULT '',
  video_link text NOT NULL DEFAULT '',
  agenda text NOT NULL DEFAULT '',
  contact_ids uuid[] NOT NULL,
  staff text[] NOT NULL,
  status smallint NOT NULL,
  organizer text NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  CHECK (end_time > start_time)
);
CREATE INDEX appointments_by_start ON appointments (start_time, id);
CREATE INDEX appointments_by_contact ON appointments USING gin (contact_ids);

-- One row per staff member of a live (not cancelled) appointment; [start, end) so that one
-- meeting may end when the next begins.
CREATE TABLE appointment_staff (
  appointment_id uuid NOT NULL REFERENCES appointments (id),
  staff text NOT NULL,
  during tstzrange NOT NULL,
  PRIMARY KEY (appointment_id, staff),
  CONSTRAINT appointment_staff_no_overlap EXCLUDE USING gist (staff WITH =, during WITH &&)
);
