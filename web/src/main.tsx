import type { Message, User } from "grammy/types"
import { render } from "preact"
import { useCallback, useEffect, useRef, useState } from "preact/hooks"
import { api, watch, type Cast, type Reactions, type Topic } from "./api.ts"
import { ClientPane } from "./ClientPane.tsx"
import { TeamPane } from "./TeamPane.tsx"
import { general, threadOf } from "./topics.ts"
import "./styles.css"

interface View {
  readonly people: ReadonlyArray<User>
  readonly clientChat: ReadonlyArray<Message>
  readonly topics: ReadonlyArray<Topic>
  readonly group: ReadonlyArray<Message>
  readonly clientReactions: ReadonlyMap<number, ReadonlyArray<Reactions>>
  readonly topicReactions: ReadonlyMap<number, ReadonlyArray<Reactions>>
}

const empty: View = {
  people: [],
  clientChat: [],
  topics: [],
  group: [],
  clientReactions: new Map(),
  topicReactions: new Map()
}

// Reactions are read per message: only for the newest ones on screen.
const reactionsOf = async (chat: number, as: number, messages: ReadonlyArray<Message>) =>
  new Map(
    await Promise.all(
      messages
        .slice(-15)
        .map(async (m) => [m.message_id, await api.reactions(chat, as, m.message_id)] as const)
    )
  )

const App = () => {
  const [cast, setCast] = useState<Cast>()
  const [clientId, setClientId] = useState<number>()
  const [memberId, setMemberId] = useState<number>()
  const [thread, setThread] = useState(general)
  const [view, setView] = useState<View>(empty)
  const [live, setLive] = useState(false)
  const [error, setError] = useState<string>()
  // What each team member has read on this page, per topic: the newest message id they had open.
  const seen = useRef(new Map<string, number>())
  const fail = useCallback((e: unknown) => setError(e instanceof Error ? e.message : String(e)), [])

  useEffect(() => {
    api.cast().then((c) => {
      setCast(c)
      setMemberId(c.operators[0]?.id ?? c.admin.id)
    }, fail)
  }, [])

  const team = cast ? new Set([cast.admin.id, ...cast.operators.map((u) => u.id)]) : new Set<number>()
  const clients = view.people.filter((u) => !team.has(u.id))
  const client = clients.find((u) => u.id === clientId) ?? clients[0]
  const member = cast && [cast.admin, ...cast.operators].find((u) => u.id === memberId)

  const refresh = useCallback(async () => {
    if (!cast || memberId === undefined) return
    const people = await api.people()
    const chosen = people.find((u) => u.id === clientId) ?? people.find((u) => !team.has(u.id))
    const [clientChat, topics, group] = await Promise.all([
      chosen ? api.messages(cast.bot.id, chosen.id) : Promise.resolve([]),
      api.topics(cast.group.id),
      api.messages(cast.group.id, memberId)
    ])
    const inTopic = group.filter((m) => threadOf(m) === thread)
    const [clientReactions, topicReactions] = await Promise.all([
      chosen ? reactionsOf(cast.bot.id, chosen.id, clientChat) : Promise.resolve(new Map()),
      reactionsOf(cast.group.id, memberId, inTopic)
    ])
    setView({ people, clientChat, topics, group, clientReactions, topicReactions })
    setError(undefined)
  }, [cast, clientId, memberId, thread])

  useEffect(() => {
    void refresh().catch(fail)
    return watch(() => void refresh().catch(fail), setLive)
  }, [refresh])

  if (!cast || !member) return <p class="loading">{error ?? "Loading the sandbox…"}</p>
  const inTopic = view.group.filter((m) => threadOf(m) === thread)
  const key = (t: number) => `${member.id}:${t}`
  const newest = inTopic.reduce((max, m) => Math.max(max, m.message_id), 0)
  if (newest > (seen.current.get(key(thread)) ?? 0)) seen.current.set(key(thread), newest)
  const unread = (t: number) =>
    t === thread
      ? 0
      : view.group.filter(
          (m) =>
            threadOf(m) === t && m.from?.id !== member.id && m.message_id > (seen.current.get(key(t)) ?? 0)
        ).length

  return (
    <>
      <header class="top">
        <h1>Backline playground</h1>
        <p>
          A client writes to the bot on the left; the team answers in the backend group on the right. Both are
          people in the built-in Telegram sandbox.
        </p>
        <p class={live ? "live on" : "live"} role="status">
          {live ? "● live" : "○ connecting…"}
        </p>
      </header>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <main class="panes">
        <ClientPane
          bot={cast.bot}
          clients={clients}
          client={client}
          messages={view.clientChat}
          reactions={view.clientReactions}
          choose={setClientId}
          fail={fail}
        />
        <TeamPane
          cast={cast}
          member={member}
          topics={view.topics}
          thread={thread}
          messages={inTopic}
          unread={unread}
          reactions={view.topicReactions}
          chooseMember={setMemberId}
          open={setThread}
          fail={fail}
        />
      </main>
    </>
  )
}

render(<App />, document.getElementById("app")!)
