/** Raw Telegram updates shared by the Router and metrics tests. */
const group = { id: -1001, type: "supergroup", title: "Team", is_forum: true }
const alice = { id: 11, is_bot: false, first_name: "Alice" }
export const topicCreated = {
  update_id: 1,
  message: {
    message_id: 50,
    date: 1,
    chat: group,
    from: alice,
    message_thread_id: 50,
    is_topic_message: true,
    forum_topic_created: { name: "Support", icon_color: 0 }
  }
}
export const privateMessage = {
  update_id: 2,
  message: {
    message_id: 3,
    date: 1,
    chat: { id: 11, type: "private", first_name: "Alice" },
    from: alice,
    text: "hi"
  }
}
