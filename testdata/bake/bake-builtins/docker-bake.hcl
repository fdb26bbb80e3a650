target "default" {
  context = BAKE_CMD_CONTEXT
  args = { P = BAKE_LOCAL_PLATFORM }
}
