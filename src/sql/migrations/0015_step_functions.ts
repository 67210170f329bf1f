import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The two statements every relayed update runs, as PL/pgSQL functions: `commit_steps` commits a
 * group of actor steps (snapshots, journal, outbox, inbox and mail rows done, topic claims) and
 * answers the outbox rows' ids and transaction; `record_sent` marks sent calls with their results,
 * maps the messages they made and mails results back to the actors that asked. A function's
 * statements are planned once per session and kept, where the same statements sent as text were
 * parsed and planned on every call: about a quarter of PostgreSQL's work per update.
 *
 * Rows come as JSON arrays (one argument per table, whatever the group's size) and are inserted in
 * the order given (`n`), so `journal.seq` and `outbox.id` keep each step's order. Rows to update
 * are joined by primary key. The plans are kept for the session and made generic after a few
 * calls, when the tables may still be nearly empty; planned then, a join would scan the whole
 * table and keep doing so as it grows. Sequential scans, hash and merge joins are therefore off
 * inside both functions: each row is found through its primary key, however large the tables.
 * The notices go to the `journal`, `outbox` and `mail` channels.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    create function commit_steps(
      snapshots jsonb, journal_rows jsonb, sends jsonb, inbox_rows jsonb, mail_ids jsonb, claims jsonb,
      journal_notice text, outbox_notice text
    ) returns table (id bigint, txid text) language plpgsql
    set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off as $$
    begin
      insert into actor_snapshot (actor_key, machine, version, snapshot)
      select s.actor_key, s.machine, s.version, s.snapshot
      from jsonb_to_recordset(snapshots) as s(actor_key text, machine text, version integer, snapshot jsonb)
      on conflict (actor_key) do update set machine = excluded.machine, version = excluded.version,
        snapshot = excluded.snapshot, updated_at = now();
      insert into journal (actor_key, cause, ordinal, type, event)
      select j.actor_key, j.cause, j.ordinal, j.type, j.event
      from jsonb_to_recordset(journal_rows)
        as j(n integer, actor_key text, cause text, ordinal integer, type text, event jsonb)
      order by j.n
      on conflict do nothing;
      -- Only a pending row becomes done; the test is in the assignment rather than in the join, so
      -- the partial index of pending rows (all of them, in a backlog) is never what finds the rows.
      update inbox set status = case when inbox.status = 'pending' then 'done' else inbox.status end,
        done_at = case when inbox.status = 'pending' then now() else inbox.done_at end
      from jsonb_to_recordset(inbox_rows) as i(connection_id text, update_id bigint)
      where inbox.connection_id = i.connection_id and inbox.update_id = i.update_id;
      update actor_mail set status = 'done', done_at = now()
      from jsonb_array_elements_text(mail_ids) as m(id)
      where actor_mail.id = m.id::bigint;
      insert into topic_owner (chat_id, thread_id, actor_key)
      select c.chat_id, c.thread_id, c.actor_key
      from jsonb_to_recordset(claims) as c(chat_id bigint, thread_id bigint, actor_key text)
      on conflict (chat_id, thread_id) do update set actor_key = excluded.actor_key;
      if journal_notice is not null then perform pg_notify('journal', journal_notice); end if;
      if outbox_notice is not null then perform pg_notify('outbox', outbox_notice); end if;
      return query
        with queued as (
          insert into outbox (connection_id, chat_id, method, params, actor_key, cause, reply_as, report_failure)
          select o.connection_id, o.chat_id, o.method, o.params, o.actor_key, o.cause, o.reply_as, o.report_failure
          from jsonb_to_recordset(sends) as o(n integer, connection_id text, chat_id bigint, method text,
            params jsonb, actor_key text, cause text, reply_as text, report_failure boolean)
          order by o.n
          returning outbox.id, outbox.txid
        )
        select queued.id, queued.txid::text from queued order by queued.id;
    end
    $$`
  yield* sql`
    create function record_sent(results jsonb, mapped jsonb, replies jsonb) returns void language plpgsql
    set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off as $$
    begin
      update outbox set status = 'sent', result = v.result, sent_at = now(), attempts = attempts + 1, error = null
      from jsonb_to_recordset(results) as v(id bigint, result jsonb)
      where outbox.id = v.id;
      insert into message_map (outbox_id, connection_id, chat_id, message_id, source_chat_id, source_message_id)
      select m.outbox_id, m.connection_id, m.chat_id, m.message_id, m.source_chat_id, m.source_message_id
      from jsonb_to_recordset(mapped) as m(outbox_id bigint, connection_id text, chat_id bigint,
        message_id bigint, source_chat_id bigint, source_message_id bigint)
      on conflict do nothing;
      insert into actor_mail (actor_key, source, event)
      select r.actor_key, r.source, r.event
      from jsonb_to_recordset(replies) as r(actor_key text, source text, event jsonb);
      -- The Router drains all mail on any notice: one is enough.
      if jsonb_array_length(replies) > 0 then perform pg_notify('mail', replies -> 0 ->> 'actor_key'); end if;
    end
    $$`
})
