import LLMCacheCLI

await LLMCacheCLI.main()
