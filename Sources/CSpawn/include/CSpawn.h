#ifndef LLMCACHE_CSPAWN_H
#define LLMCACHE_CSPAWN_H

#include <spawn.h>

/// pipe2(fds, O_CLOEXEC): a pipe no other child inherits. 0 or -1 with errno.
int llmcache_pipe_cloexec(int fds[2]);

/// Adds "close every descriptor from `from` up" to `actions` (glibc's
/// posix_spawn_file_actions_addclosefrom_np, which Swift's Glibc module does not expose);
/// 0, or an error number where the C library has no such call.
int llmcache_spawn_close_from(posix_spawn_file_actions_t *actions, int from);

#endif
