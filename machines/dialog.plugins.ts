import { buttonFields, commandOf, postedFields } from "./group.messages.ts"
import type { GroupContext } from "./group.types.ts"
import { isTeam, type DialogContext, type DialogEvent, type DialogPress } from "./dialog.types.ts"

// A dialog's topic is claimed, so its messages never reach the group actor: the commands the dialog
// does not handle itself and the buttons pressed in its topic are told to plugins here, as the
// group actor tells them for its other topics (`group.commandIssued`, `group.buttonPressed`).

/** What `postedFields` and `buttonFields` read of a group: the dialog knows its topic's kind only. */
const groupOf = (context: DialogContext): GroupContext =>
  ({
    chatId: context.groupId!,
    topics: { [String(context.threadId)]: { kind: "dialog" } },
    admins: {}
  }) as unknown as GroupContext

/** The `group.commandIssued` of an operator's command the dialog leaves to plugins, if it is one. */
export const pluginCommandOf = (context: DialogContext, event: DialogEvent) => {
  if (!isTeam(context, event) || context.groupId === null) return undefined
  const fields = postedFields(groupOf(context), event)
  const command = commandOf(fields.text)
  return command === undefined ? undefined : { type: "group.commandIssued" as const, ...fields, ...command }
}

/** The `group.buttonPressed` of a press under a message in the dialog's topic. */
export const pluginPressOf = (context: DialogContext, event: DialogPress) =>
  context.groupId === null || event.chat?.id !== context.groupId
    ? undefined
    : { type: "group.buttonPressed" as const, ...buttonFields(groupOf(context), event) }
