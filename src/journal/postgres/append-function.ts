/**
 * The append as one server-side function: a call appends any number of independent batches (the
 * appends of one process that arrived together) in one round trip and one commit. Each batch is
 * checked and written whole or not at all, and says how it ended in a row of its own, so one
 * batch's conflict never fails another.
 */
import type { JournalTables } from './tables.js';

/** Outcomes of a batch, as the function names them. */
export type AppendOutcome =
  | 'appended'
  | 'duplicate'
  | 'busy'
  | 'key_race'
  | 'idempotency_conflict'
  | 'mixed_repeat'
  | 'scope_mismatch'
  | 'wrong_version'
  | 'unknown_cause';

/**
 * `append_batches(...)`: items arrive as parallel arrays (1-based), batch `b` holding items
 * `batch_ends[b-1] .. batch_ends[b]-1`. Streams, then idempotency keys, are locked in the order of
 * their lock keys, so two calls never deadlock; with `p_wait` false a stream or key another
 * transaction holds is not waited for: its batches answer `busy` and the caller sends them again
 * alone. `p_in_caller_tx` says the call runs in the application's transaction (notify the
 * sequencers on its commit) rather than one of its own. `p_expected` is `any`, `no-stream`,
 * `stream-exists` or a version in decimal; a null correlation is inherited from the cause (an
 * earlier item of the batch, or an event of the journal).
 *
 * Returns one row per batch: `appended` with the new events' row keys, `duplicate` with the
 * original ids when every item repeats an idempotency key, or what refused it, naming the item
 * (0-based in its batch) and what was found.
 */
export const appendFunction = (t: JournalTables): string => `
CREATE FUNCTION ${t.schema}.append_batches(
  p_now double precision, p_wait boolean, p_in_caller_tx boolean, p_batch_ends integer[],
  p_ids uuid[], p_entities text[], p_scopes text[], p_types text[], p_payload_versions integer[],
  p_correlations uuid[], p_causations uuid[], p_metadata bytea[], p_data bytea[],
  p_extensions bytea[], p_idem_keys text[], p_idem_digests bytea[], p_expected text[],
  p_layouts smallint[])
RETURNS TABLE (r_batch integer, r_outcome text, r_item integer, r_found text, r_pks bigint[], r_ids uuid[])
LANGUAGE plpgsql AS $fn$
DECLARE
  v_lock integer;
  v_busy integer[] := '{}';
  v_busy_keys integer[] := '{}';
  v_first integer;
  v_last integer;
  v_keyed integer;
  v_repeated uuid[];
  v_used record;
  v_heads jsonb;
  v_head jsonb;
  v_version bigint;
  v_stamp double precision;
  v_correlation uuid;
  v_versions bigint[];
  v_stamps double precision[];
  v_corr uuid[];
  v_claimed integer;
  v_tries integer;
  v_batch_id bigint;
  v_any boolean := false;
BEGIN
  -- The journal's own calls are transactions of their own, acknowledged only once a sequencing
  -- round has committed after them, durably: that commit flushes this one too, so this one need not
  -- wait for the disk. A caller's transaction (p_in_caller_tx) keeps the caller's setting.
  IF NOT p_in_caller_tx THEN
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
  FOR v_lock IN SELECT DISTINCT hashtext(e) FROM unnest(p_entities) AS e ORDER BY 1 LOOP
    IF p_wait THEN
      PERFORM pg_advisory_xact_lock(hashtext('${t.schema}'), v_lock);
    ELSIF NOT pg_try_advisory_xact_lock(hashtext('${t.schema}'), v_lock) THEN
      v_busy := v_busy || v_lock;
    END IF;
  END LOOP;
  -- Keys too: a key claimed by a transaction still open would otherwise be waited for at its claim.
  FOR v_lock IN SELECT DISTINCT hashtext(k) FROM unnest(p_idem_keys) AS k WHERE k IS NOT NULL ORDER BY 1 LOOP
    IF p_wait THEN
      PERFORM pg_advisory_xact_lock(hashtext('${t.schema}.keys'), v_lock);
    ELSIF NOT pg_try_advisory_xact_lock(hashtext('${t.schema}.keys'), v_lock) THEN
      v_busy_keys := v_busy_keys || v_lock;
    END IF;
  END LOOP;

  <<batches>>
  FOR b IN 1 .. coalesce(array_length(p_batch_ends, 1), 0) LOOP
    v_first := CASE WHEN b = 1 THEN 1 ELSE p_batch_ends[b - 1] END;
    v_last := p_batch_ends[b] - 1;
    r_batch := b; r_item := NULL; r_found := NULL; r_pks := NULL; r_ids := NULL;
    IF EXISTS (SELECT 1 FROM unnest(p_entities[v_first:v_last]) AS e WHERE hashtext(e) = ANY (v_busy))
        OR EXISTS (SELECT 1 FROM unnest(p_idem_keys[v_first:v_last]) AS k WHERE hashtext(k) = ANY (v_busy_keys)) THEN
      r_outcome := 'busy'; RETURN NEXT; CONTINUE batches;
    END IF;
    v_tries := 0;
    <<attempt>>
    LOOP
      v_tries := v_tries + 1;
      -- Idempotency keys: all repeated (with the same events) answers with the originals.
      v_keyed := 0;
      v_repeated := '{}';
      FOR i IN v_first .. v_last LOOP
        CONTINUE WHEN p_idem_keys[i] IS NULL;
        v_keyed := v_keyed + 1;
        SELECT k.digest, k.event_id INTO v_used FROM ${t.idempotency} k WHERE k.key = p_idem_keys[i];
        CONTINUE WHEN NOT FOUND;
        IF v_used.digest <> p_idem_digests[i] THEN
          r_outcome := 'idempotency_conflict'; r_item := i - v_first; RETURN NEXT; CONTINUE batches;
        END IF;
        v_repeated := v_repeated || v_used.event_id;
      END LOOP;
      IF v_keyed > 0 AND cardinality(v_repeated) = v_last - v_first + 1 THEN
        r_outcome := 'duplicate'; r_ids := v_repeated; RETURN NEXT; CONTINUE batches;
      ELSIF cardinality(v_repeated) > 0 THEN
        r_outcome := 'mixed_repeat'; r_found := cardinality(v_repeated)::text; RETURN NEXT; CONTINUE batches;
      END IF;

      -- Stream versions, scopes and expected versions, item by item; correlations inherited.
      v_heads := '{}';
      v_versions := '{}';
      v_stamps := '{}';
      v_corr := '{}';
      FOR i IN v_first .. v_last LOOP
        v_head := v_heads -> p_entities[i];
        IF v_head IS NULL THEN
          SELECT jsonb_build_array(s.scope, s.version, s.last_timestamp) INTO v_head
            FROM ${t.streams} s WHERE s.entity = p_entities[i];
        END IF;
        IF v_head IS NOT NULL AND v_head ->> 0 <> p_scopes[i] THEN
          r_outcome := 'scope_mismatch'; r_item := i - v_first; r_found := v_head ->> 0;
          RETURN NEXT; CONTINUE batches;
        END IF;
        IF NOT (p_expected[i] = 'any'
            OR (p_expected[i] = 'no-stream' AND v_head IS NULL)
            OR (p_expected[i] = 'stream-exists' AND v_head IS NOT NULL)
            OR coalesce(p_expected[i] = v_head ->> 1, false)) THEN
          r_outcome := 'wrong_version'; r_item := i - v_first; r_found := v_head ->> 1;
          RETURN NEXT; CONTINUE batches;
        END IF;
        v_version := coalesce((v_head ->> 1)::bigint + 1, 0);
        v_stamp := greatest(p_now, coalesce((v_head ->> 2)::double precision, p_now));
        v_heads := v_heads || jsonb_build_object(p_entities[i], jsonb_build_array(p_scopes[i], v_version, v_stamp));
        v_versions := v_versions || v_version;
        v_stamps := v_stamps || v_stamp;
        v_correlation := p_correlations[i];
        IF v_correlation IS NULL THEN
          FOR j IN v_first .. i - 1 LOOP
            IF p_ids[j] = p_causations[i] THEN v_correlation := v_corr[j - v_first + 1]; END IF;
          END LOOP;
        END IF;
        IF v_correlation IS NULL THEN
          SELECT e.correlation_id INTO v_correlation FROM ${t.events} e WHERE e.id = p_causations[i];
          IF NOT FOUND THEN
            r_outcome := 'unknown_cause'; r_item := i - v_first; RETURN NEXT; CONTINUE batches;
          END IF;
        END IF;
        v_corr := v_corr || v_correlation;
      END LOOP;

      -- Keys are claimed last: a key another transaction claimed first is waited for, then the
      -- batch is looked at again (it may now repeat that transaction's event).
      IF v_keyed > 0 THEN
        WITH claimed AS (
          INSERT INTO ${t.idempotency} (key, digest, event_id)
          SELECT p_idem_keys[i], p_idem_digests[i], p_ids[i] FROM generate_series(v_first, v_last) AS i
          WHERE p_idem_keys[i] IS NOT NULL
          ON CONFLICT (key) DO NOTHING RETURNING 1)
        SELECT count(*) INTO v_claimed FROM claimed;
        IF v_claimed < v_keyed THEN
          DELETE FROM ${t.idempotency} k WHERE k.event_id = ANY (p_ids[v_first:v_last]);
          CONTINUE attempt WHEN v_tries < 3;
          r_outcome := 'key_race'; RETURN NEXT; CONTINUE batches;
        END IF;
      END IF;

      -- The writes, the batch id taken after the stream locks.
      v_batch_id := nextval('${t.schema}.batch_ids');
      INSERT INTO ${t.streams} (entity, scope, version, last_timestamp)
        SELECT h.key, h.value ->> 0, (h.value ->> 1)::bigint, (h.value ->> 2)::double precision
        FROM jsonb_each(v_heads) AS h
        ON CONFLICT (entity) DO UPDATE SET version = excluded.version, last_timestamp = excluded.last_timestamp;
      WITH added AS (
        INSERT INTO ${t.events} (batch_id, item, id, entity, scope, stream_version, type, payload_version,
          timestamp, correlation_id, causation_id, metadata, data, extensions, idem_key, idem_digest, layout)
        SELECT v_batch_id, i - v_first, p_ids[i], p_entities[i], p_scopes[i], v_versions[i - v_first + 1],
          p_types[i], p_payload_versions[i], v_stamps[i - v_first + 1], v_corr[i - v_first + 1],
          p_causations[i], p_metadata[i], p_data[i], p_extensions[i], p_idem_keys[i], p_idem_digests[i],
          p_layouts[i]
        FROM generate_series(v_first, v_last) AS i
        RETURNING pk, item),
      queued AS (
        INSERT INTO ${t.pending} (batch_id, item, event_pk) SELECT v_batch_id, a.item, a.pk FROM added a)
      SELECT array_agg(a.pk ORDER BY a.item) INTO r_pks FROM added a;
      r_outcome := 'appended';
      v_any := true;
      RETURN NEXT;
      EXIT attempt;
    END LOOP;
  END LOOP;
  IF v_any AND p_in_caller_tx THEN
    PERFORM pg_notify('${t.schema}_pending', '');
  END IF;
END
$fn$`;
