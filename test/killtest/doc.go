// Package killtest proves the durability contract end to end: a collector
// (otlp or mxin receiver → tracetree exporter → tracetree_store on Pebble) runs in a
// child process, commits are pushed at it concurrently, the child gets
// SIGKILL mid-stream, a new collector starts on the same directory, and
// every commit whose request was acknowledged must be there.
//
// The child is this package's test binary re-executed (see TestMain), so
// plain `go test ./test/killtest/` runs the whole proof without an ocb build.
package killtest
