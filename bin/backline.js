#!/usr/bin/env -S node --max-semi-space-size=64
// The node options on the line above are Backline's own, also given by `npm start` and by the
// tests that start this file: a young generation larger than Node's default (16 MB per semi-space)
// lets the many short-lived objects of each update die there, which costs less collector time.
// Backline runs its TypeScript sources directly through tsx's loader; there is no build step.
import { register } from "tsx/esm/api"

register()
await import("../src/main.ts")
