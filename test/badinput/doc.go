// Package badinput is the bad-input corpus: classes of bad or hostile input
// (SDK lines and framing, API keys, blob uploads, Maxim's public API,
// OTLP/HTTP on both receivers, OTLP/gRPC, the query API, tenancy,
// connection-level abuse) sent as an outside client would to the built
// distribution (configs/default.yaml plus testdata/overlay.yaml, which scopes
// one key to repo-a and one to repo-b).
//
// The corpus is the table in corpus_test.go, one entry per class. For every
// class the runner asserts: the expected status (a 4xx with a readable
// error, never a 5xx for the client's own input, never a hang: every request
// has a client timeout), the process still alive and healthy afterwards,
// good data sent alongside it kept and readable, nothing visible to the
// other repository, and the process's peak resident memory (VmHWM) under a
// bound.
package badinput
