-- Protocol Buffers wire format in SQL, for seeds whose rows carry a serialized message (`body`):
-- pg_temp functions, gone with the session. \ir protobuf.sql from a seed.
CREATE FUNCTION pg_temp.pb_varint(v bigint) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN v < 128 THEN set_byte('\x00'::bytea, 0, v::int)
              ELSE set_byte('\x00'::bytea, 0, (v % 128 + 128)::int) || pg_temp.pb_varint(v / 128)
         END
$$;
-- A varint field (integers, enums, booleans); zero is not written, as proto3 does.
CREATE FUNCTION pg_temp.pb_int(field int, v bigint) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN v = 0 THEN ''::bytea ELSE pg_temp.pb_varint(field * 8) || pg_temp.pb_varint(v) END
$$;
-- A length-delimited field from raw bytes (a nested message); empty is not written.
CREATE FUNCTION pg_temp.pb_bytes(field int, v bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN v = '' THEN ''::bytea
              ELSE pg_temp.pb_varint(field * 8 + 2) || pg_temp.pb_varint(length(v)) || v END
$$;
CREATE FUNCTION pg_temp.pb_text(field int, v text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT pg_temp.pb_bytes(field, convert_to(v, 'UTF8'))
$$;
