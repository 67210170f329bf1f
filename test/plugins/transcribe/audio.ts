import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/** A 16-bit mono PCM WAV of a 440 Hz tone, `seconds` long. */
export const toneWav = (seconds: number, rate = 16_000): Buffer => {
  const samples = Math.round(seconds * rate)
  const wav = Buffer.alloc(44 + samples * 2)
  wav.write("RIFF", 0, "latin1")
  wav.writeUInt32LE(36 + samples * 2, 4)
  wav.write("WAVEfmt ", 8, "latin1")
  wav.writeUInt32LE(16, 16)
  wav.writeUInt16LE(1, 20)
  wav.writeUInt16LE(1, 22)
  wav.writeUInt32LE(rate, 24)
  wav.writeUInt32LE(rate * 2, 28)
  wav.writeUInt16LE(2, 32)
  wav.writeUInt16LE(16, 34)
  wav.write("data", 36, "latin1")
  wav.writeUInt32LE(samples * 2, 40)
  for (let i = 0; i < samples; i++)
    wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2)
  return wav
}

/** A voice message as Telegram stores it: OGG/Opus, encoded with `opusenc` (Debian package opus-tools). */
export const voiceOgg = (seconds: number): Buffer => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "voice-"))
  try {
    fs.writeFileSync(path.join(dir, "in.wav"), toneWav(seconds))
    const run = spawnSync("opusenc", ["--quiet", "in.wav", "out.ogg"], { cwd: dir, encoding: "utf8" })
    if (run.status !== 0)
      throw new Error(
        `opusenc failed (is opus-tools installed? node scripts/ensure-debian-packages.mjs): ${run.stderr}`
      )
    return fs.readFileSync(path.join(dir, "out.ogg"))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
