import Testing

/// Every suite that runs PostgreSQL servers, one test at a time: each test starts a cluster of
/// its own (`initdb`, a server, several proxies), and twenty of those at once on a 2-core
/// machine starve the rest of the suite's timing-sensitive tests. The limit ends a hung test;
/// under a full suite's load the first test (a cluster and two proxies) has taken 77 s.
@Suite(.serialized, .timeLimit(.minutes(4))) enum PostgresSuites {}
