import type { Message, User } from "grammy/types"
import { useState } from "preact/hooks"
import { api, nameOf, readUpload, type Reactions, type UploadKind } from "./api.ts"
import { Composer } from "./Composer.tsx"
import { MessageView, type MessageActions } from "./MessageView.tsx"
import { ScrollList } from "./ScrollList.tsx"

/** The left side: one client's private chat with the bot, as that client sees it in Telegram. */
export const ClientPane = (props: {
  readonly bot: User
  readonly clients: ReadonlyArray<User>
  readonly client: User | undefined
  readonly messages: ReadonlyArray<Message>
  readonly reactions: ReadonlyMap<number, ReadonlyArray<Reactions>>
  readonly choose: (id: number) => void
  readonly fail: (error: unknown) => void
}) => {
  const { bot, client } = props
  const [naming, setNaming] = useState(false)
  const [name, setName] = useState("")
  const guard = (action: () => Promise<unknown>) => action().then(() => undefined, props.fail)
  const actions: MessageActions | undefined = client && {
    edit: (m, text) =>
      void guard(() =>
        api.edit({
          from: client.id,
          chat_id: bot.id,
          message_id: m.message_id,
          ...(m.text !== undefined ? { text } : { caption: text })
        })
      ),
    react: (m, emoji) =>
      void guard(() =>
        api.react({ from: client.id, chat_id: bot.id, message_id: m.message_id, reaction: [emoji] })
      ),
    press: (m, data) =>
      void guard(() => api.press({ from: client.id, chat_id: bot.id, message_id: m.message_id, data }))
  }
  const sendFile = async (kind: UploadKind, file: File, caption: string) => {
    if (!client) return
    const upload = await readUpload(file)
    await guard(() =>
      api.send({ from: client.id, chat_id: bot.id, [kind]: upload, ...(caption ? { caption } : {}) })
    )
  }
  return (
    <section class="pane client" aria-labelledby="client-heading">
      <header>
        <h2 id="client-heading">Client's chat with @{bot.username}</h2>
        <div class="pickers">
          <label>
            <span>Client</span>
            <select value={client?.id ?? ""} onChange={(e) => props.choose(Number(e.currentTarget.value))}>
              {props.clients.map((user) => (
                <option value={user.id} key={user.id}>
                  {nameOf(user)}
                  {user.username ? ` @${user.username}` : ""}
                </option>
              ))}
            </select>
          </label>
          <button type="button" aria-expanded={naming} onClick={() => setNaming(!naming)}>
            New client
          </button>
        </div>
        {naming && (
          <form
            class="new-client"
            onSubmit={(event) => {
              event.preventDefault()
              if (name.trim() === "") return
              void guard(async () => {
                const user = await api.createUser(name.trim())
                setName("")
                setNaming(false)
                props.choose(user.id)
              })
            }}
          >
            <label>
              <span>First name</span>
              <input value={name} onInput={(e) => setName(e.currentTarget.value)} ref={(el) => el?.focus()} />
            </label>
            <button type="submit">Create client</button>
          </form>
        )}
      </header>
      {client && actions ? (
        <>
          <ScrollList label={`Messages between ${nameOf(client)} and the bot`} count={props.messages.length}>
            {props.messages.map((m) => (
              <MessageView
                key={m.message_id}
                message={m}
                viewer={client.id}
                reactions={props.reactions.get(m.message_id)}
                actions={actions}
              />
            ))}
          </ScrollList>
          <Composer
            label="Message to the bot"
            placeholder={`Write as ${nameOf(client)}…`}
            onSend={(text) => guard(() => api.send({ from: client.id, chat_id: bot.id, text }))}
            onFile={sendFile}
          />
        </>
      ) : (
        <p>No client yet: create one.</p>
      )}
    </section>
  )
}
