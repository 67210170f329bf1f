#!/usr/bin/env node
// Backline runs its TypeScript sources directly through tsx's loader; there is no build step.
import { register } from "tsx/esm/api"

register()
await import("../src/main.ts")
