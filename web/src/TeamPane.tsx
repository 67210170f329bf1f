import type { Message, User } from "grammy/types"
import { useState } from "preact/hooks"
import { api, nameOf, type Cast, type Reactions, type Topic } from "./api.ts"
import { Composer } from "./Composer.tsx"
import { MessageView, type MessageActions } from "./MessageView.tsx"
import { ScrollList } from "./ScrollList.tsx"
import { describeTopic, general } from "./topics.ts"

const topicCommands = ["/close", "/hold", "/wait", "/info", "/ban", "/unban"]
const generalCommands = ["/settings", "/plugins"]

/** The right side: the backend group as one team member sees it — topics, the open topic, its composer. */
export const TeamPane = (props: {
  readonly cast: Cast
  readonly member: User
  readonly topics: ReadonlyArray<Topic>
  readonly thread: number
  readonly messages: ReadonlyArray<Message>
  readonly unread: (thread: number) => number
  readonly reactions: ReadonlyMap<number, ReadonlyArray<Reactions>>
  readonly chooseMember: (id: number) => void
  readonly open: (thread: number) => void
  readonly fail: (error: unknown) => void
}) => {
  const { cast, member, thread } = props
  const group = cast.group.id
  const [comment, setComment] = useState(false)
  const guard = (action: () => Promise<unknown>) => action().then(() => undefined, props.fail)
  const team = [cast.admin, ...cast.operators]
  const open = props.topics.find((t) => t.message_thread_id === thread)
  const info = open ? describeTopic(open) : undefined
  const where = thread === general ? {} : { message_thread_id: thread }
  const write = (text: string) => guard(() => api.send({ from: member.id, chat_id: group, text, ...where }))
  const actions: MessageActions = {
    edit: (m, text) =>
      void guard(() =>
        api.edit({
          from: member.id,
          chat_id: group,
          message_id: m.message_id,
          ...(m.text !== undefined ? { text } : { caption: text })
        })
      ),
    react: (m, emoji) =>
      void guard(() =>
        api.react({ from: member.id, chat_id: group, message_id: m.message_id, reaction: [emoji] })
      ),
    press: (m, data) =>
      void guard(() => api.press({ from: member.id, chat_id: group, message_id: m.message_id, data }))
  }
  const entry = (id: number, name: string, kind: string, status: string | undefined, closed: boolean) => {
    const unread = props.unread(id)
    return (
      <li key={id}>
        <button
          type="button"
          class={id === thread ? "topic current" : "topic"}
          aria-current={id === thread ? "true" : undefined}
          aria-label={`${name}, ${kind} topic${status ? `, ${status}` : ""}${closed && status !== "closed" ? ", closed" : ""}${unread ? `, ${unread} unread` : ""}`}
          onClick={() => props.open(id)}
        >
          <span class="name">{name}</span>
          <span class="badges">
            <span class={`kind ${kind}`}>{kind}</span>
            {unread > 0 && <span class="unread">{unread}</span>}
          </span>
        </button>
      </li>
    )
  }
  const commands = thread === general ? generalCommands : info?.kind === "client" ? topicCommands : []
  return (
    <section class="pane team" aria-labelledby="team-heading">
      <header>
        <h2 id="team-heading">Backend group “{cast.group.title}”</h2>
        <div class="pickers">
          <label>
            <span>Team member</span>
            <select value={member.id} onChange={(e) => props.chooseMember(Number(e.currentTarget.value))}>
              {team.map((user) => (
                <option value={user.id} key={user.id}>
                  {nameOf(user)} ({user.id === cast.admin.id ? "admin" : "operator"})
                </option>
              ))}
            </select>
          </label>
        </div>
      </header>
      <div class="forum">
        <nav aria-label="Topics">
          <ul class="topics">
            {entry(general, "General", "general", undefined, false)}
            {props.topics.map((t) => {
              const d = describeTopic(t)
              return entry(t.message_thread_id, t.name, d.kind, d.status, t.is_closed)
            })}
          </ul>
        </nav>
        <div class="topic-view">
          <h3>
            {thread === general ? "General" : (open?.name ?? "Topic")}
            {info?.status && <span class="status"> — {info.status}</span>}
            {open?.is_closed && info?.status !== "closed" && <span class="status"> (closed)</span>}
          </h3>
          <ScrollList label="Messages in the topic" count={props.messages.length}>
            {props.messages.map((m) => (
              <MessageView
                key={m.message_id}
                message={m}
                viewer={member.id}
                reactions={props.reactions.get(m.message_id)}
                actions={actions}
              />
            ))}
          </ScrollList>
          {commands.length > 0 && (
            <div class="commands" role="group" aria-label="Commands">
              {commands.map((command) => (
                <button
                  type="button"
                  key={command}
                  aria-label={`Send ${command}`}
                  onClick={() => void write(command)}
                >
                  {command}
                </button>
              ))}
            </div>
          )}
          <Composer
            label={
              comment ? "Internal comment" : thread === general ? "Message in General" : "Reply to the client"
            }
            placeholder={
              comment
                ? "Seen by the team only…"
                : thread === general
                  ? "/settings, /set NAME value, /new @user…"
                  : "Answer…"
            }
            onSend={(text) => write(comment ? `/ ${text}` : text)}
          >
            {info?.kind === "client" && (
              <fieldset class="mode">
                <legend>Write</legend>
                <label>
                  <input type="radio" name="mode" checked={!comment} onChange={() => setComment(false)} />{" "}
                  Reply to the client
                </label>
                <label>
                  <input type="radio" name="mode" checked={comment} onChange={() => setComment(true)} />{" "}
                  Internal comment
                </label>
              </fieldset>
            )}
          </Composer>
        </div>
      </div>
    </section>
  )
}
