/**
 * A sequencing round as one server-side function: it logs what the previous round hashed (positions,
 * chain links, the head moved, pending rows removed, one notification) and, in the same statement,
 * takes the next pending batches with the head of each one's stream chain. A sequencer that keeps
 * the lead therefore spends one round trip and one commit per round.
 */
import type { JournalTables } from './tables.js';

/**
 * `sequence_round(p_head, ...)`: with no events to log it only takes. Logging is fenced: the head
 * must still be `p_head`, or the call fails (SQLSTATE 40001) and writes nothing, so a sequencer
 * that lost the lead without knowing it can never write a position twice. Each taken row carries
 * the head after the call, which the next round's positions follow.
 */
export const sequenceFunction = (t: JournalTables): string => `
CREATE FUNCTION ${t.schema}.sequence_round(
  p_head bigint, p_batches bigint[], p_pks bigint[], p_entities text[], p_versions bigint[],
  p_scopes text[], p_types text[], p_prev_hashes bytea[], p_hashes bytea[], p_take integer)
RETURNS TABLE (pk bigint, batch_id bigint, id uuid, entity text, scope text, stream_version bigint,
  type text, payload_version integer, "timestamp" double precision, correlation_id uuid,
  causation_id uuid, metadata bytea, data bytea, extensions bytea, idem_key text, idem_digest bytea,
  layout smallint, chain_version bigint, chain_hash bytea, head bigint)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  v_logged integer := coalesce(cardinality(p_pks), 0);
BEGIN
  IF v_logged > 0 THEN
    UPDATE ${t.head} SET position = p_head + v_logged WHERE id = 1 AND position = p_head;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'the journal head moved under this sequencer' USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO ${t.log} (position, event_pk, entity, stream_version, scope, type, prev_hash, hash)
      SELECT p_head + n, l.pk, l.entity, l.version, l.scope, l.type, l.prev, l.hash
      FROM unnest(p_pks, p_entities, p_versions, p_scopes, p_types, p_prev_hashes, p_hashes)
        WITH ORDINALITY AS l(pk, entity, version, scope, type, prev, hash, n);
    DELETE FROM ${t.pending} WHERE batch_id = ANY (p_batches);
    PERFORM pg_notify('${t.schema}_sequenced', (p_head + v_logged)::text);
  END IF;
  -- Pending rows are few: each event is found by its key (OFFSET 0 keeps the planner from turning
  -- that into a scan of the events table, whatever its statistics say).
  RETURN QUERY
    SELECT e.pk, e.batch_id, e.id, e.entity, e.scope, e.stream_version, e.type, e.payload_version,
      e.timestamp, e.correlation_id, e.causation_id, e.metadata, e.data, e.extensions, e.idem_key,
      e.idem_digest, e.layout, chain.stream_version, chain.hash, (SELECT h.position FROM ${t.head} h WHERE h.id = 1)
    FROM (
      SELECT q.event_pk, q.batch_id, q.item FROM ${t.pending} q WHERE q.batch_id IN (
        SELECT DISTINCT b.batch_id FROM ${t.pending} b ORDER BY b.batch_id LIMIT p_take)) taken
    CROSS JOIN LATERAL (SELECT * FROM ${t.events} x WHERE x.pk = taken.event_pk OFFSET 0) e
    LEFT JOIN LATERAL (
      SELECT l.stream_version, l.hash FROM ${t.log} l WHERE l.entity = e.entity
      ORDER BY l.stream_version DESC LIMIT 1) chain ON true
    ORDER BY taken.batch_id, taken.item;
END
$fn$`;
