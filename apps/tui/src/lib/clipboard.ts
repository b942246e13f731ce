/**
 * Copy text to the user's clipboard with the OSC 52 escape sequence, which terminals (and SSH
 * sessions, and tmux with `set-clipboard on`) forward to the local clipboard.
 */
export function osc52(text: string): string {
  const payload = Buffer.from(text, "utf8").toString("base64");
  const seq = `\x1b]52;c;${payload}\x07`;
  // Inside tmux the sequence must be wrapped in a DCS passthrough to reach the outer terminal.
  return process.env.TMUX ? `\x1bPtmux;${seq.replaceAll("\x1b", "\x1b\x1b")}\x1b\\` : seq;
}

/** Write the OSC 52 sequence for `text` to `out` (a TTY stream); returns false when `out` is not a TTY. */
export function copyToClipboard(text: string, out: NodeJS.WriteStream = process.stdout): boolean {
  if (!out.isTTY) return false;
  out.write(osc52(text));
  return true;
}
