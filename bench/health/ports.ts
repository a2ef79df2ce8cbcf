// The responders' ports (responder.ts listens on them, checks.ts checks them).
// A module of its own: responder.ts is a script, and importing it would run it.
export const TCP_PORT = 80;
export const HTTP_PORT = 8080;
