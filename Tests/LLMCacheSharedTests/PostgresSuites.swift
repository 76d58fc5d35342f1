import Testing

/// Every suite that runs PostgreSQL servers, one test at a time: each test starts a cluster of
/// its own (`initdb`, a server, several proxies), and twenty of those at once on a 2-core
/// machine starve the rest of the suite's timing-sensitive tests.
@Suite(.serialized, .timeLimit(.minutes(2))) enum PostgresSuites {}
