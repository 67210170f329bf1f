import type { ComponentChildren } from "preact"
import { useEffect, useRef } from "preact/hooks"

/** A message list that stays scrolled to its newest message as messages arrive. */
export const ScrollList = (props: {
  readonly label: string
  readonly count: number
  readonly children: ComponentChildren
}) => {
  const list = useRef<HTMLOListElement>(null)
  useEffect(() => {
    const el = list.current
    if (el) el.scrollTop = el.scrollHeight
  }, [props.count])
  return (
    <ol class="messages" aria-label={props.label} aria-live="polite" tabIndex={0} ref={list}>
      {props.children}
    </ol>
  )
}
