package badinput

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc/codes"

	"github.com/otelcol-genai/otelcol-genai/test/e2e/harness"
)

// Paths and bodies the entries share.
const (
	pushA     = "/api/sdk/v3/log?id=" + repoA
	otelPath  = "/v1/otel"
	langfuse  = "/api/public/otel/v1/traces"
	uploadURL = "/api/sdk/v1/log-repositories/attachments/upload-url"
	blobPut   = "/api/sdk/v1/blobs"

	traceSvc   = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
	logsSvc    = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
	metricsSvc = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
)

// Expected statuses.
var (
	s200 = []int{http.StatusOK}
	s400 = []int{http.StatusBadRequest}
	s403 = []int{http.StatusForbidden}
	s404 = []int{http.StatusNotFound}
	s405 = []int{http.StatusMethodNotAllowed}
	s413 = []int{http.StatusRequestEntityTooLarge}
	s415 = []int{http.StatusUnsupportedMediaType}
	s431 = []int{http.StatusRequestHeaderFieldsTooLarge}
)

// corpus is every class, in the order they run. Adding a class is adding
// an entry; the groups follow the list (SDK lines, framing, keys,
// uploads, public API, OTLP/HTTP on both receivers, OTLP/gRPC, query API,
// tenancy, connections).
func corpus() []class {
	var cs []class
	cs = append(cs, sdkClasses()...)
	cs = append(cs, framingClasses()...)
	cs = append(cs, authClasses()...)
	cs = append(cs, blobClasses()...)
	cs = append(cs, publicAPIClasses()...)
	cs = append(cs, otlpHTTPClasses("otlp-http/core", otlpEP, "/v1/traces", "/v1/logs")...)
	cs = append(cs, otlpHTTPClasses("otlp-http/mxin", mxinEP, otelPath, "/v1/logs")...)
	cs = append(cs, otlpOnlyClasses()...)
	cs = append(cs, grpcClasses()...)
	cs = append(cs, queryClasses()...)
	cs = append(cs, tenancyClasses()...)
	cs = append(cs, connClasses()...)
	return cs
}

// push is an SDK push of body to repo-a with repo-a's key.
func push(body func(id string) []byte) hreq {
	return post(mxinEP, pushA).key(keyA).ctype("text/plain").bodyf(body)
}

func sdkClasses() []class {
	long := strings.Repeat("x", 513)
	return []class{
		{name: "sdk/garbage-line", do: push(mixed("hello world")).run, want: s200, check: report(1, 1)},
		{name: "sdk/missing-data", do: push(mixed("trace{id=@@-x,action=create}")).run, want: s200, check: report(1, 1)},
		{name: "sdk/missing-action", do: push(mixed("trace{id=@@-x,data={}}")).run, want: s200, check: report(1, 1)},
		{name: "sdk/unknown-entity", do: push(mixed("widget{id=@@-x,action=create,data={}}")).run, want: s200, check: report(1, 1)},
		{name: "sdk/empty-id", do: push(mixed("trace{id=,action=create,data={}}")).run, want: s200, check: report(1, 1)},
		{name: "sdk/id-control-char", do: push(mixed("trace{id=@@\x01x,action=create,data={}}")).run, want: s200, check: report(1, 1)},
		{name: "sdk/id-nul", do: push(mixed("trace{id=@@\x00x,action=create,data={}}")).run, want: s200, check: report(1, 1)},
		{name: "sdk/id-invalid-utf8", do: push(mixed("trace{id=@@\xff\xfe,action=create,data={}}")).run, want: s200, check: report(1, 1)},
		{name: "sdk/id-over-512-bytes", do: push(mixed("trace{id=" + long + ",action=create,data={}}")).run, want: s200, check: report(1, 1)},
		{name: "sdk/child-id-over-512-bytes", do: push(mixed(`trace{id=@@-p,action=add-span,data={"id":"` + long + `"}}`)).run, want: s200, check: report(1, 1)},
		{name: "sdk/child-id-nul", do: push(mixed(`trace{id=@@-p,action=add-span,data={"id":"a\u0000b"}}`)).run, want: s200, check: report(1, 1)},
		{name: "sdk/session-id-over-512-bytes", do: push(mixed(`trace{id=@@-s,action=create,data={"sessionId":"` + long + `"}}`)).run, want: s200, check: report(1, 1)},
		{name: "sdk/action-uppercase", do: push(mixed("trace{id=@@-x,action=CREATE,data={}}")).run, want: s200, check: report(1, 1)},
		{name: "sdk/data-not-json", do: push(mixed("trace{id=@@-x,action=create,data={not json}}")).run, want: s200, check: report(1, 1)},
		{name: "sdk/data-truncated-json", do: push(mixed(`trace{id=@@-x,action=create,data={"name":}`)).run, want: s200, check: report(1, 1)},
		{name: "sdk/trailing-garbage", do: push(mixed(`trace{id=@@-x,action=create,data={}}junk`)).run, want: s200, check: report(1, 1)},
		{name: "sdk/data-invalid-utf8", do: push(mixed("trace{id=@@-u,action=create,data={\"name\":\"bad \xff\xfe name\"}}")).run, want: s200,
			check: report(1, 1)},
		{name: "sdk/data-nested-100k-arrays", do: push(mixed(`trace{id=@@-x,action=create,data={"a":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}}`)).run,
			want: s200, check: report(1, 1)},
		{name: "sdk/data-nested-100k-objects", do: push(mixed(`trace{id=@@-x,action=create,data=` + strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000) + `}`)).run,
			want: s200, check: report(1, 1)},
		{name: "sdk/data-nested-9990", do: push(mixed(traceCreate("-d9"), `trace{id=@@-d9,action=update,data={"input":`+strings.Repeat("[", 9990)+strings.Repeat("]", 9990)+`}}`)).run,
			want: s200, check: func(e *env, id string, o outcome) error {
				// Accepted or refused as a line, but once accepted readable.
				if err := keepsGood(e, id, o); err != nil {
					return err
				}
				return readable("-d9")(e, id, o)
			}},
		{name: "sdk/data-8MiB-string", do: push(mixed(`trace{id=@@-big,action=update,data={"output":"` + strings.Repeat("y", 8<<20) + `"}}`)).run,
			want: s200, check: all(report(2, 0), readable("-big"))},
		{name: "sdk/data-100k-keys-reverse-order", do: push(mixed(`trace{id=@@-keys,action=update,data={"tags":` + manyKeys(100000) + `}}`)).run,
			want: s200, check: all(report(2, 0), readable("-keys"))},
		{name: "sdk/python-nan-infinity", do: push(mixed(`trace{id=@@-nan,action=update,data={"metrics": {"a": NaN, "b": Infinity, "c": -Infinity}}}`)).run,
			want: s200, check: all(report(2, 0), readable("-nan"))},
		{name: "sdk/data-null-and-array", do: push(mixed(`trace{id=@@-n,action=update,data=null}`, `trace{id=@@-n,action=update,data=[1,2,3]}`, `trace{id=@@-n,action=update,data="str"}`)).run,
			want: s200, check: keepsGood},
		{name: "sdk/absurd-numbers", do: push(mixed(
			traceCreate("-num"),
			`trace{id=@@-num,action=add-generation,data={"id":"@@-gen","model":"gpt-4o","provider":"openai","messages":"not a list","modelParameters":[1],"startTimestamp":"not a time"}}`,
			`generation{id=@@-gen,action=result,data={"result":{"choices":"x","usage":{"prompt_tokens":1e308,"completion_tokens":-5,"total_tokens":"many"}}}}`,
			`generation{id=@@-gen,action=add-cost,data={"cost":{"input":-1e308,"output":1e308,"total":"x"}}}`,
			`trace{id=@@-num,action=add-feedback,data={"score":"NaN"}}`,
			`trace{id=@@-num,action=end,data={"endTimestamp":"99999-01-01T00:00:00Z"}}`)).run,
			want: s200, check: all(report(7, 0), readable("-num"))},
		{name: "sdk/span-cycle", do: push(lines(
			traceCreate("-cyc"),
			`trace{id=@@-cyc,action=add-span,data={"id":"@@-s1"}}`,
			`span{id=@@-s1,action=add-span,data={"id":"@@-s2"}}`,
			`span{id=@@-s2,action=add-span,data={"id":"@@-s1"}}`,
			`span{id=@@-s2,action=add-span,data={"id":"@@-s2"}}`)).run,
			want: s200, check: readable("-cyc")},
		{name: "sdk/span-parent-of-its-trace", do: push(lines(
			traceCreate("-loop"),
			`trace{id=@@-loop,action=add-span,data={"id":"@@-loop"}}`,
			`span{id=@@-loop,action=add-span,data={"id":"@@-loop"}}`)).run,
			want: s200, check: readable("-loop")},
		{name: "sdk/10k-children", do: push(wide(10000)).run, want: s200, check: readable("-wide")},
		{name: "sdk/10k-deep-span-chain", do: push(chain(10000)).run, want: s200, check: readable("-chain")},
		{name: "sdk/100k-identical-lines", do: push(func(id string) []byte {
			return []byte(strings.Repeat(strings.ReplaceAll(traceCreate("-dup"), "@@", id)+"\n", 100000))
		}).run, want: s200, check: all(reportOnly(100000, 0), readable("-dup"))},
		{name: "sdk/8MiB-of-one-line-commits", do: push(func(id string) []byte {
			// 200,000 commits of 40 bytes on 1,000 traces: before a push was
			// consumed in chunks, this body took 350 MB (64 MiB: 2.9 GB).
			var b strings.Builder
			for i := 0; b.Len() < 8<<20; i++ {
				fmt.Fprintf(&b, "trace{id=%s-m%d,action=update,data={}}\n", id, i%1000)
			}
			return []byte(b.String())
		}).run, want: s200, check: func(e *env, id string, o outcome) error {
			r, err := parseReport(o)
			if err != nil || r.Data.Accepted < 200000 || r.Data.RejectedCount != 0 {
				return fmt.Errorf("push: %v %.200s", err, o.body)
			}
			return readable("-m999")(e, id, o)
		}},
		{name: "sdk/1M-bad-lines", do: push(func(id string) []byte {
			return append([]byte(strings.Repeat("x\n", 1000000)), goodLine(id)...)
		}).run, want: s200, check: all(report(1, 1000000), smallAnswer(64<<10))},
		{name: "sdk/bom-crlf-blank-lines", do: push(func(id string) []byte {
			return []byte("\ufeff\r\n\r\n" + goodLine(id) + "\r\n\n\n")
		}).run, want: s200, check: report(1, 0)},
		{name: "sdk/empty-body", do: push(func(string) []byte { return nil }).run, want: s200, check: reportOnly(0, 0)},
		{name: "sdk/nul-bytes", do: push(func(id string) []byte {
			return append(make([]byte, 4096), "\n"+goodLine(id)...)
		}).run, want: s200, check: report(1, 1)},
		{name: "sdk/random-binary", do: push(func(id string) []byte {
			return append(pseudoRandom(id, 256<<10), "\n"+goodLine(id)+"\n"...)
		}).run, want: s200, check: keepsGood},
		{name: "sdk/large-log-pointer-without-key", do: push(mixed(`storage{id=@@-p,action=process-large-log,data={}}`)).run,
			want: s200, check: keepsGood},
		{name: "sdk/large-log-pointer-traversal", do: push(mixed(`storage{id=@@-p,action=process-large-log,data={"key":"repo-a/../repo-b/large-logs/x"}}`)).run,
			want: s200, check: keepsGood},
	}
}

// wide is a trace with n children spans.
func wide(n int) func(id string) []byte {
	return func(id string) []byte {
		var b strings.Builder
		b.WriteString(strings.ReplaceAll(traceCreate("-wide"), "@@", id) + "\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, `trace{id=%s-wide,action=add-span,data={"id":"%s-w%d","name":"w%d"}}`+"\n", id, id, i, i)
		}
		return []byte(b.String())
	}
}

// chain is a trace whose spans nest n deep.
func chain(n int) func(id string) []byte {
	return func(id string) []byte {
		var b strings.Builder
		b.WriteString(strings.ReplaceAll(traceCreate("-chain"), "@@", id) + "\n")
		fmt.Fprintf(&b, `trace{id=%s-chain,action=add-span,data={"id":"%s-c0"}}`+"\n", id, id)
		for i := 1; i < n; i++ {
			fmt.Fprintf(&b, `span{id=%s-c%d,action=add-span,data={"id":"%s-c%d"}}`+"\n", id, i-1, id, i)
		}
		return []byte(b.String())
	}
}

// pseudoRandom is n deterministic bytes that are not text.
func pseudoRandom(seed string, n int) []byte {
	out := make([]byte, 0, n)
	x := uint64(len(seed)) + 0x9e3779b97f4a7c15
	for len(out) < n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		out = append(out, byte(x))
	}
	return out
}

func framingClasses() []class {
	good := func(id string) []byte { return []byte(goodLine(id) + "\n") }
	return []class{
		{name: "framing/missing-id-parameter", do: post(mxinEP, "/api/sdk/v3/log").key(keyA).bodyf(good).run, want: s400},
		{name: "framing/empty-id-parameter", do: post(mxinEP, "/api/sdk/v3/log?id=").key(keyA).bodyf(good).run, want: s400},
		{name: "framing/gzip-not-gzip", do: push(good).encoding("gzip").run, want: s400},
		{name: "framing/gzip-truncated", do: push(func(id string) []byte { g := gzipped(good(id)); return g[:len(g)/2] }).encoding("gzip").run, want: s400},
		{name: "framing/gzip-bomb", do: push(nil).lazy(func() []byte { return bomb("gzip") }).encoding("gzip").run, want: s413},
		{name: "framing/zstd-bomb", do: push(nil).lazy(func() []byte { return bomb("zstd") }).encoding("zstd").run, want: s413},
		{name: "framing/deflate-bomb", do: push(nil).lazy(func() []byte { return bomb("zlib") }).encoding("deflate").run, want: s413},
		{name: "framing/zstd-garbage", do: push(good).encoding("zstd").run, want: s400},
		{name: "framing/snappy-garbage", do: push(good).encoding("snappy").run, want: s400},
		{name: "framing/unknown-content-encoding", do: push(good).encoding("br").run, want: []int{http.StatusBadRequest, http.StatusUnsupportedMediaType}},
		{name: "framing/gzip-valid", do: push(func(id string) []byte { return gzipped(good(id)) }).encoding("gzip").run, want: s200,
			check: keepsGood},
		{name: "framing/body-over-limit-streamed", do: overLimit(mxinEP, "POST", fixedPath(pushA), []string{"x-maxim-api-key: " + keyA}, 65<<20), want: s413},
		{name: "framing/declared-256MiB-sent-150-bytes", do: rawDo(mxinEP, func(id string) []byte {
			return rawHTTP("POST", pushA, []string{"x-maxim-api-key: " + keyA, "Content-Length: 268435456"}, strings.Repeat("x", 150))
		}, false), want: s413},
		{name: "framing/declared-length-not-sent", do: rawDo(mxinEP, func(id string) []byte {
			return rawHTTP("POST", pushA, []string{"x-maxim-api-key: " + keyA, "Content-Length: 1000"}, goodLine(id))
		}, true), want: s400},
		{name: "framing/invalid-chunked-encoding", do: rawDo(mxinEP, func(id string) []byte {
			return rawHTTP("POST", pushA, []string{"x-maxim-api-key: " + keyA, "Transfer-Encoding: chunked"}, "zz\r\nhello\r\n0\r\n\r\n")
		}, true), want: s400},
		{name: "framing/negative-content-length", do: rawDo(mxinEP, func(id string) []byte {
			return rawHTTP("POST", pushA, []string{"x-maxim-api-key: " + keyA, "Content-Length: -5"}, "")
		}, true), want: s400},
		{name: "framing/content-length-and-chunked", do: rawDo(mxinEP, func(id string) []byte {
			return rawHTTP("POST", pushA, []string{"x-maxim-api-key: " + keyA, "Content-Length: 3", "Transfer-Encoding: chunked"}, "0\r\n\r\n")
		}, true), want: []int{http.StatusBadRequest, http.StatusOK}},
		{name: "framing/wrong-method", do: get(mxinEP, pushA).key(keyA).run, want: s405},
		{name: "framing/unknown-route", do: post(mxinEP, "/api/sdk/v9/nothing").key(keyA).run, want: s404},
		{name: "framing/double-slash-base-url", do: post(mxinEP, "//api/sdk/v3/log?id="+repoA).key(keyA).bodyf(good).run, want: s200,
			check: keepsGood},
		{name: "framing/protobuf-content-type", do: push(good).ctype("application/x-protobuf").run, want: s200,
			check: keepsGood},
		{name: "framing/repo-id-with-nul", do: post(mxinEP, "/api/sdk/v3/log?id=repo-b%00").key(keyAll).bodyf(lines(traceCreate("-nul"))).run,
			want: []int{http.StatusOK, http.StatusBadRequest}, leaks: suffixes("-nul")},
		{name: "framing/repo-id-traversal", do: post(mxinEP, "/api/sdk/v3/log?id=../repo-b").key(keyAll).bodyf(lines(traceCreate("-trav"))).run,
			want: []int{http.StatusOK, http.StatusBadRequest}, leaks: suffixes("-trav")},
		{name: "framing/repo-id-with-slash", do: post(mxinEP, "/api/sdk/v3/log?id=repo-b/x").key(keyAll).bodyf(lines(traceCreate("-slash"))).run,
			want: []int{http.StatusOK, http.StatusBadRequest}, leaks: suffixes("-slash")},
		{name: "framing/repo-id-10KiB", do: post(mxinEP, "/api/sdk/v3/log?id="+strings.Repeat("r", 10<<10)).key(keyAll).bodyf(lines(traceCreate("-longrepo"))).run,
			want: []int{http.StatusOK, http.StatusBadRequest}},
	}
}

func authClasses() []class {
	good := func(id string) []byte { return []byte(goodLine(id) + "\n") }
	return []class{
		{name: "auth/push-no-key", do: post(mxinEP, pushA).bodyf(good).run, want: s403, leaks: suffixes("-good")},
		{name: "auth/push-empty-key", do: post(mxinEP, pushA).key("").bodyf(good).run, want: s403},
		{name: "auth/push-wrong-key", do: post(mxinEP, pushA).key("not-a-key").bodyf(good).run, want: s403},
		{name: "auth/push-bearer-instead-of-header", do: post(mxinEP, pushA).header("Authorization", "Bearer "+keyA).bodyf(good).run, want: s403},
		{name: "auth/push-key-in-query", do: post(mxinEP, pushA+"&x-maxim-api-key="+keyA+"&apiKey="+keyA).bodyf(good).run, want: s403},
		{name: "auth/push-two-keys-first-wrong", do: post(mxinEP, pushA).key("not-a-key").key(keyA).bodyf(good).run, want: s403},
		{name: "auth/push-100KiB-key", do: post(mxinEP, pushA).key(strings.Repeat("k", 100<<10)).bodyf(good).run, want: s403},
		{name: "auth/push-key-with-control-char", do: rawDo(mxinEP, func(id string) []byte {
			return rawHTTP("POST", pushA, []string{"x-maxim-api-key: " + keyA + "\x01"}, goodLine(id))
		}, true), want: s400},
		{name: "auth/push-key-padded-with-spaces", do: post(mxinEP, pushA).key("  " + keyA + "  ").bodyf(good).run, want: s200,
			check: keepsGood},
		{name: "auth/push-key-of-other-case", do: post(mxinEP, pushA).key(strings.ToUpper(keyA)).bodyf(good).run, want: s403},
		{name: "auth/repo-check-no-key", do: get(mxinEP, "/api/sdk/v3/log-repositories?loggerId="+repoA).run, want: s403},
		{name: "auth/repo-check-missing-logger-id", do: get(mxinEP, "/api/sdk/v3/log-repositories").key(keyA).run, want: s400},
		{name: "auth/upload-url-no-key", do: get(mxinEP, uploadURL+"?key=repo-a/large-logs/x&mimeType=text/plain&size=10").run, want: s403},
		{name: "auth/public-api-no-key", do: post(mxinEP, "/v1/logging").ctype("application/json").
			text(`{"repoId":"repo-a","entity":"trace","action":"start","entityId":"x"}`).run, want: s403},
		{name: "auth/otel-no-key", do: post(mxinEP, otelPath).repo(repoA).ctype("application/x-protobuf").
			bodyf(func(id string) []byte { return tracesProto(spans(id, nil)) }).run, want: s403},
		{name: "auth/otel-no-repo-header", do: post(mxinEP, otelPath).key(keyA).ctype("application/x-protobuf").
			bodyf(func(id string) []byte { return tracesProto(spans(id, nil)) }).run, want: s403},
		{name: "auth/otlp-core-no-key", do: post(otlpEP, "/v1/traces").repo(repoA).ctype("application/x-protobuf").
			bodyf(func(id string) []byte { return tracesProto(spans(id, nil)) }).run, want: s403},
		{name: "auth/otlp-core-wrong-key", do: post(otlpEP, "/v1/traces").key("nope").repo(repoA).ctype("application/json").
			bodyf(func(id string) []byte { return tracesJSON(spans(id, nil)) }).run, want: s403},
		{name: "auth/langfuse-wrong-secret", do: post(mxinEP, langfuse).header("Authorization", basicAuth(repoA, "wrong")).ctype("application/x-protobuf").
			bodyf(func(id string) []byte { return tracesProto(spans(id, nil)) }).run, want: s403},
		{name: "auth/langfuse-malformed-basic", do: post(mxinEP, langfuse).header("Authorization", "Basic !!!not-base64").ctype("application/x-protobuf").
			bodyf(func(id string) []byte { return tracesProto(spans(id, nil)) }).run, want: s403},
		{name: "auth/query-no-key", do: get(queryEP, "/api/v1/traces?repo="+repoA).run, want: s403},
		{name: "auth/query-wrong-key", do: get(queryEP, "/api/v1/traces?repo="+repoA).key("nope").run, want: s403},
		{name: "auth/query-key-in-query-string", do: get(queryEP, "/api/v1/traces?repo="+repoA+"&x-maxim-api-key="+keyA).run, want: s403},
		{name: "auth/grpc-no-key", do: grpcDo(traceSvc, "", repoA, func(id string) []byte { return tracesProto(spans(id, nil)) }), wantCode: []codes.Code{codes.PermissionDenied}},
		{name: "auth/grpc-wrong-key", do: grpcDo(traceSvc, "nope", repoA, func(id string) []byte { return tracesProto(spans(id, nil)) }), wantCode: []codes.Code{codes.PermissionDenied}},
	}
}

func blobClasses() []class {
	return []class{
		{name: "blob/put-without-signature", do: put(mxinEP, blobPut+"?key=repo-a/large-logs/x").text("data").run, want: s403},
		{name: "blob/put-bad-signature", do: put(mxinEP, blobPut+"?key=repo-a/large-logs/x&exp=99999999999&sig="+strings.Repeat("0", 64)).text("data").run, want: s403},
		{name: "blob/put-expired", do: signedPut(func(q map[string]string) { q["exp"] = "1" }, nil), want: s403},
		{name: "blob/put-expiry-extended", do: signedPut(func(q map[string]string) { q["exp"] = "99999999999" }, nil), want: s403},
		{name: "blob/put-key-swapped-to-other-repo", do: signedPut(func(q map[string]string) { q["key"] = "repo-b/large-logs/stolen" }, nil), want: s403},
		{name: "blob/upload-url-traversal", do: get(mxinEP, uploadURL+"?key=repo-a/../repo-b/large-logs/x").key(keyA).run, want: s400},
		{name: "blob/upload-url-empty-segment", do: get(mxinEP, uploadURL+"?key=repo-a//x").key(keyA).run, want: s400},
		{name: "blob/upload-url-control-char", do: get(mxinEP, uploadURL+"?key=repo-a/x%01y").key(keyA).run, want: s400},
		{name: "blob/upload-url-key-over-1KiB", do: get(mxinEP, uploadURL+"?key=repo-a/"+strings.Repeat("k", 2000)).key(keyA).run, want: s400},
		{name: "blob/upload-url-key-without-path", do: get(mxinEP, uploadURL+"?key=repo-a").key(keyA).run, want: s400},
		{name: "blob/upload-url-no-key-param", do: get(mxinEP, uploadURL).key(keyA).run, want: s400},
		{name: "blob/upload-url-negative-size", do: get(mxinEP, uploadURL+"?key=repo-a/large-logs/x&size=-1").key(keyA).run, want: s400},
		{name: "blob/upload-url-size-not-a-number", do: get(mxinEP, uploadURL+"?key=repo-a/large-logs/x&size=lots").key(keyA).run, want: s400},
		{name: "blob/upload-url-size-over-limit", do: get(mxinEP, uploadURL+"?key=repo-a/large-logs/x&size=999999999999").key(keyA).run, want: s413},
		{name: "blob/put-declared-256MiB-sent-150-bytes", do: signedRaw(func(path string) []byte {
			return rawHTTP("PUT", path, []string{"Content-Length: 268435456"}, strings.Repeat("x", 150))
		}), want: s413},
		{name: "blob/put-over-limit-streamed", do: overLimit(mxinEP, "PUT", func(e *env, id string) (string, error) { return e.signedPath(id, nil) }, nil, 65<<20), want: s413},
		{name: "blob/put-gzip-bomb", do: signedPut(nil, func(h hreq) hreq {
			return h.lazy(func() []byte { return bomb("gzip") }).encoding("gzip")
		}), want: s413},
		{name: "blob/large-log-malformed-line", do: largeLog(func(id string) string { return "this is not a commit line" }),
			want: s200, check: report(1, 1)},
		{name: "blob/large-log-pointing-at-a-pointer", do: largeLog(func(id string) string {
			return `storage{id=` + id + `-p2,action=process-large-log,data={"key":"repo-a/large-logs/` + id + `"}}`
		}), want: s200, check: report(1, 1)},
		{name: "blob/large-log-with-unreadable-id", do: largeLog(func(id string) string {
			return `trace{id=` + strings.Repeat("z", 600) + `,action=create,data={}}`
		}), want: s200, check: report(1, 1)},
	}
}

func publicAPIClasses() []class {
	action := func(body string) func(e *env, id string) (outcome, error) {
		return post(mxinEP, "/v1/logging").key(keyA).ctype("application/json").bodyf(func(id string) []byte {
			return []byte(strings.ReplaceAll(body, "@@", id))
		}).run
	}
	batch := func(body string) func(e *env, id string) (outcome, error) {
		return post(mxinEP, "/v1/logs/batch").key(keyA).ctype("application/json").bodyf(func(id string) []byte {
			return []byte(strings.ReplaceAll(body, "@@", id))
		}).run
	}
	return []class{
		{name: "public/not-json", do: action(`repoId=repo-a`), want: s400},
		{name: "public/json-array", do: action(`[{"repoId":"repo-a"}]`), want: s400},
		{name: "public/missing-repo-id", do: action(`{"entity":"trace","action":"start","entityId":"@@-x"}`), want: s400},
		{name: "public/unknown-entity", do: action(`{"repoId":"repo-a","entity":"widget","action":"start","entityId":"@@-x"}`), want: s400},
		{name: "public/unknown-action", do: action(`{"repoId":"repo-a","entity":"trace","action":"explode","entityId":"@@-x"}`), want: s400},
		{name: "public/empty-entity-id", do: action(`{"repoId":"repo-a","entity":"trace","action":"start","entityId":""}`), want: s400},
		{name: "public/entity-id-nul", do: action(`{"repoId":"repo-a","entity":"trace","action":"start","entityId":"@@\u0000x"}`), want: s400},
		{name: "public/entity-id-control-chars", do: action(`{"repoId":"repo-a","entity":"trace","action":"start","entityId":"@@\u0007\u001b[2J"}`), want: s400},
		{name: "public/entity-id-over-512-bytes", do: action(`{"repoId":"repo-a","entity":"trace","action":"start","entityId":"` + strings.Repeat("e", 600) + `"}`), want: s400},
		{name: "public/entity-id-not-a-string", do: action(`{"repoId":"repo-a","entity":"trace","action":"start","entityId":{"x":1}}`), want: s400},
		{name: "public/data-not-an-object", do: action(`{"repoId":"repo-a","entity":"trace","action":"start","entityId":"@@-x","data":"oops"}`), want: s400},
		{name: "public/missing-required-field", do: action(`{"repoId":"repo-a","entity":"trace","action":"add-tag","entityId":"@@-x","data":{}}`), want: s400},
		{name: "public/child-id-over-512-bytes", do: action(`{"repoId":"repo-a","entity":"trace","action":"add-span","entityId":"@@-x","data":{"id":"` + strings.Repeat("c", 600) + `"}}`), want: s400},
		{name: "public/nested-100k", do: action(`{"repoId":"repo-a","entity":"trace","action":"start","entityId":"@@-x","data":{"a":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}}`), want: s400},
		{name: "public/batch-logs-not-a-list", do: batch(`{"repoId":"repo-a","logs":{"id":"x"}}`), want: s400},
		{name: "public/batch-missing-repo-id", do: batch(`{"logs":[]}`), want: s400},
		{name: "public/batch-mixed-good-and-bad", do: batch(`{"repoId":"repo-a","logs":[{"type":"trace","id":"@@-good","name":"@@-good"},{"type":"widget","id":"x"},{"type":"trace"},{"type":"span","id":"@@\u0000","traceId":"@@-good"},{"type":"span","id":"@@-s","traceId":"` + strings.Repeat("t", 600) + `"}]}`),
			want: s200, check: func(e *env, id string, o outcome) error {
				if !strings.Contains(string(o.body), `"rejected"`) {
					return fmt.Errorf("the bad entries are not reported: %s", o.body)
				}
				return e.traceName(keyA, repoA, id+"-good", id+"-good")
			}},
		{name: "public/batch-20k-entries", do: post(mxinEP, "/v1/logging/batch").key(keyA).ctype("application/json").bodyf(func(id string) []byte {
			var b strings.Builder
			b.WriteString(`{"repoId":"repo-a","logs":[{"type":"trace","id":"` + id + `-bt","name":"` + id + `-bt"}`)
			for i := 0; i < 20000; i++ {
				fmt.Fprintf(&b, `,{"type":"span","id":"%s-bs%d","traceId":"%s-bt"}`, id, i, id)
			}
			b.WriteString("]}")
			return []byte(b.String())
		}).run, want: s200, check: readable("-bt")},
	}
}

// otlpHTTPClasses are the OTLP/HTTP classes both receivers must answer
// alike: the core otlp receiver (behind maxim_auth and otlp_guard) and the
// mxin receiver's /v1/otel.
func otlpHTTPClasses(group string, ep endpoint, traces, logs string) []class {
	tr := func(ct string) hreq { return post(ep, traces).key(keyA).repo(repoA).ctype(ct) }
	lg := func(ct string) hreq { return post(ep, logs).key(keyA).repo(repoA).ctype(ct) }
	pb, js := "application/x-protobuf", "application/json"
	return []class{
		{name: group + "/garbage-protobuf", do: tr(pb).bytes([]byte("\xff\xff\xff\xff this is not protobuf")).run, want: s400},
		{name: group + "/garbage-json", do: tr(js).text(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":`).run, want: s400},
		{name: group + "/json-invalid-utf8", do: tr(js).bodyf(func(id string) []byte {
			return []byte(strings.Replace(string(tracesJSON(spans(id, nil))), `"span-0"`, "\"bad \xff\xfe\"", 1))
		}).run, want: s400},
		{name: group + "/protobuf-labelled-json", do: tr(js).bodyf(func(id string) []byte { return tracesProto(spans(id, genAISpan)) }).run, want: s400},
		{name: group + "/json-labelled-protobuf", do: tr(pb).bodyf(func(id string) []byte { return tracesJSON(spans(id, genAISpan)) }).run, want: s400},
		{name: group + "/json-kvlist-nested-100k", do: tr(js).bodyf(func(id string) []byte { return deepTracesJSON(id, 100000) }).run, want: s400},
		{name: group + "/protobuf-nested-2M", do: tr(pb).bodyf(func(id string) []byte { return deepTracesProto(id, 2000000) }).run, want: s400},
		{name: group + "/protobuf-nested-1k", do: tr(pb).bodyf(func(id string) []byte { return deepTracesProto(id, 1000) }).run, want: s400},
		{name: group + "/pre-normalized-without-kind", do: tr(pb).bodyf(func(id string) []byte {
			return tracesProto(spans(id, func(_ string, sp ptrace.Span) { sp.Attributes().PutBool("maxim.normalized", true) }))
		}).run, want: s200, check: readableOTLP()},
		{name: group + "/pre-normalized-kind-not-a-string", do: tr(js).bodyf(func(id string) []byte {
			return tracesJSON(spans(id, func(_ string, sp ptrace.Span) {
				sp.Attributes().PutBool("maxim.normalized", true)
				sp.Attributes().PutInt("maxim.entity.kind", 7)
			}))
		}).run, want: s200, check: readableOTLP()},
		{name: group + "/wrong-content-type", do: tr("text/plain").bodyf(func(id string) []byte { return tracesJSON(spans(id, nil)) }).run, want: s415},
		{name: group + "/gzip-bomb", do: tr(pb).lazy(func() []byte { return bomb("gzip") }).encoding("gzip").run, want: s413},
		{name: group + "/zstd-bomb", do: tr(pb).lazy(func() []byte { return bomb("zstd") }).encoding("zstd").run, want: s413},
		{name: group + "/body-over-limit-streamed", do: overLimit(ep, "POST", fixedPath(traces), []string{"x-maxim-api-key: " + keyA, "x-maxim-repo-id: " + repoA, "Content-Type: " + pb}, 65<<20), want: s413},
		{name: group + "/trace-id-wrong-length", do: tr(js).text(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abcd","spanId":"0102030405060708","name":"x"}]}]}]}`).run, want: s400},
		{name: group + "/empty-body", do: tr(pb).bytes(nil).run, want: s200},
		{name: group + "/8MiB-attribute", do: tr(pb).bodyf(func(id string) []byte {
			return tracesProto(spans(id, func(_ string, sp ptrace.Span) {
				genAISpan("", sp)
				sp.Attributes().PutStr("gen_ai.prompt", strings.Repeat("p", 8<<20))
			}))
		}).run, want: s200, check: readableOTLP()},
		{name: group + "/100k-attributes", do: tr(pb).bodyf(func(id string) []byte {
			return tracesProto(spans(id, func(_ string, sp ptrace.Span) {
				// FromRaw: 100,000 PutStr calls would cost the test itself
				// O(n²) (each looks for the key first).
				raw := make(map[string]any, 100000)
				for i := 100000; i > 0; i-- {
					raw[fmt.Sprintf("a.%07d", i)] = "v"
				}
				if err := sp.Attributes().FromRaw(raw); err != nil {
					panic(err)
				}
			}))
		}).run, want: s200, check: readableOTLP()},
		{name: group + "/parent-cycle", do: tr(pb).bodyf(func(id string) []byte {
			return tracesProto(spans(id,
				func(id string, sp ptrace.Span) { sp.SetParentSpanID(spanID(id, "1")) },
				func(id string, sp ptrace.Span) { sp.SetParentSpanID(spanID(id, "0")) },
				func(id string, sp ptrace.Span) { sp.SetParentSpanID(spanID(id, "2")) }))
		}).run, want: s200, check: readableOTLP()},
		{name: group + "/genai-attributes-of-wrong-types", do: tr(pb).bodyf(func(id string) []byte {
			return tracesProto(spans(id, func(_ string, sp ptrace.Span) {
				a := sp.Attributes()
				a.PutStr("gen_ai.operation.name", "chat")
				a.PutStr("gen_ai.usage.input_tokens", "lots")
				a.PutDouble("gen_ai.usage.output_tokens", -1e308)
				a.PutStr("gen_ai.input.messages", `[{"role":`)
				a.PutInt("gen_ai.output.messages", 5)
				a.PutEmptyMap("gen_ai.request.model").PutStr("x", "y")
				a.PutStr("llm.input_messages.0.message.role", "user")
				a.PutStr("llm.input_messages.99999999.message.content", "index bomb")
			}))
		}).run, want: s200, check: readableOTLP()},
		{name: group + "/messages-json-nested-9990", do: tr(pb).bodyf(func(id string) []byte {
			return tracesProto(spans(id, func(_ string, sp ptrace.Span) {
				genAISpan("", sp)
				sp.Attributes().PutStr("gen_ai.input.messages", `[{"role":"user","content":`+strings.Repeat("[", 9990)+strings.Repeat("]", 9990)+`}]`)
			}))
		}).run, want: s200, check: readableOTLP()},
		{name: group + "/logs-garbage-protobuf", do: lg(pb).bytes([]byte("\x0a\xff\xff\xff\xff\x0f")).run, want: s400},
		{name: group + "/logs-nested-2M", do: lg(pb).lazy(func() []byte { return deepLogsProto(2000000) }).run, want: s400},
		{name: group + "/logs-commit-record-bad-ids", do: lg(js).bodyf(func(id string) []byte {
			return logsJSON(commitRecords(
				map[string]string{"maxim.entity": "trace", "maxim.entity_id": strings.Repeat("i", 600), "maxim.action": "create", "body": "{}"},
				map[string]string{"maxim.entity": "trace", "maxim.entity_id": id + "\x00", "maxim.action": "create", "body": "{}"},
				map[string]string{"maxim.entity": "trace", "maxim.entity_id": id + "-lg", "maxim.action": "create", "body": `{"name":"` + id + `-lg"}`},
			))
		}).run, want: []int{http.StatusOK, http.StatusBadRequest}, check: func(e *env, id string, o outcome) error {
			if o.status != http.StatusOK {
				return nil
			}
			return e.traceName(keyA, repoA, id+"-lg", id+"-lg")
		}},
		{name: group + "/logs-commit-record-body-not-json", do: lg(pb).bodyf(func(id string) []byte {
			return logsProto(commitRecords(map[string]string{"maxim.entity": "trace", "maxim.entity_id": id + "-x", "maxim.action": "create", "body": "{not json"}))
		}).run, want: []int{http.StatusOK, http.StatusBadRequest}},
	}
}

// otlpOnlyClasses are the receivers' own edges.
func otlpOnlyClasses() []class {
	return []class{
		{name: "otlp-http/core/metrics-not-in-a-pipeline", do: post(otlpEP, "/v1/metrics").key(keyA).repo(repoA).ctype("application/x-protobuf").bytes(nil).run,
			want: []int{http.StatusNotFound, http.StatusMethodNotAllowed}},
		{name: "otlp-http/core/wrong-method", do: get(otlpEP, "/v1/traces").key(keyA).repo(repoA).run, want: s405},
		{name: "otlp-http/mxin/wrong-method", do: get(mxinEP, otelPath).key(keyA).repo(repoA).run, want: s405},
		{name: "otlp-http/mxin/lenient-kind-as-string", do: post(mxinEP, otelPath).key(keyA).repo(repoA).ctype("application/json").bodyf(func(id string) []byte {
			return []byte(strings.Replace(string(tracesJSON(spans(id, genAISpan))), `"kind":3`, `"kind":"3"`, 1))
		}).run, want: s200, check: readableOTLP()},
		{name: "otlp-http/core/declared-256MiB-sent-150-bytes", do: rawDo(otlpEP, func(id string) []byte {
			return rawHTTP("POST", "/v1/traces", []string{"x-maxim-api-key: " + keyA, "x-maxim-repo-id: " + repoA,
				"Content-Type: application/x-protobuf", "Content-Length: 268435456"}, strings.Repeat("x", 150))
		}, true), want: []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge}},
		{name: "otlp-http/mxin/declared-256MiB-sent-150-bytes", do: rawDo(mxinEP, func(id string) []byte {
			return rawHTTP("POST", otelPath, []string{"x-maxim-api-key: " + keyA, "x-maxim-repo-id: " + repoA,
				"Content-Type: application/x-protobuf", "Content-Length: 268435456"}, strings.Repeat("x", 150))
		}, false), want: s413},
	}
}

// undecodable is how grpc-go answers a message its codec cannot decode:
// Internal, whatever the codec's error (grpc-go's recvAndDecompress wraps
// it; no interceptor sees the message before). OTLP exporters do not retry
// Internal, so it is not a resend loop; InvalidArgument would be the exact
// answer.
var undecodable = []codes.Code{codes.InvalidArgument, codes.Internal}

func grpcClasses() []class {
	proto := func(f func(id string) []byte) func(id string) []byte { return f }
	return []class{
		{name: "grpc/garbage-bytes", do: grpcDo(traceSvc, keyA, repoA, proto(func(string) []byte { return []byte("\xff\xff\xff\xff not protobuf") })),
			wantCode: undecodable},
		{name: "grpc/nested-300k", do: grpcDo(traceSvc, keyA, repoA, func(id string) []byte { return deepTracesProto(id, 300000) }),
			wantCode: undecodable},
		{name: "grpc/nested-1k", do: grpcDo(traceSvc, keyA, repoA, func(id string) []byte { return deepTracesProto(id, 1000) }),
			wantCode: undecodable},
		{name: "grpc/over-max-message-size", do: grpcDo(traceSvc, keyA, repoA, func(id string) []byte {
			return tracesProto(spans(id, func(_ string, sp ptrace.Span) { sp.Attributes().PutStr("big", strings.Repeat("b", 8<<20)) }))
		}), wantCode: []codes.Code{codes.ResourceExhausted}},
		{name: "grpc/gzip-bomb", do: grpcDo(traceSvc, keyA, repoA, func(id string) []byte {
			return tracesProto(spans(id, func(_ string, sp ptrace.Span) { sp.Attributes().PutStr("big", strings.Repeat("\x00", 64<<20)) }))
		}, "gzip"), wantCode: []codes.Code{codes.ResourceExhausted}},
		{name: "grpc/pre-normalized-without-kind", do: grpcDo(traceSvc, keyA, repoA, func(id string) []byte {
			return tracesProto(spans(id, func(_ string, sp ptrace.Span) { sp.Attributes().PutBool("maxim.normalized", true) }))
		}), wantCode: []codes.Code{codes.OK}, check: readableOTLP()},
		{name: "grpc/parent-cycle", do: grpcDo(traceSvc, keyA, repoA, func(id string) []byte {
			return tracesProto(spans(id,
				func(id string, sp ptrace.Span) { sp.SetParentSpanID(spanID(id, "1")) },
				func(id string, sp ptrace.Span) { sp.SetParentSpanID(spanID(id, "0")) }))
		}), wantCode: []codes.Code{codes.OK}, check: readableOTLP()},
		{name: "grpc/logs-garbage", do: grpcDo(logsSvc, keyA, repoA, func(string) []byte { return []byte("\x0a\xff\xff\xff\xff\x0f") }),
			wantCode: undecodable},
		{name: "grpc/logs-nested-300k", do: grpcDo(logsSvc, keyA, repoA, func(string) []byte { return deepLogsProto(300000) }),
			wantCode: undecodable},
		{name: "grpc/logs-commit-record-without-resource-repo", do: grpcDo(logsSvc, keyA, repoA, func(id string) []byte {
			return logsProto(commitRecords(map[string]string{"maxim.entity": "trace", "maxim.entity_id": id + "-lg", "maxim.action": "create", "body": `{"name":"` + id + `-lg"}`}))
		}), wantCode: []codes.Code{codes.OK},
			check: func(e *env, id string, o outcome) error { return e.traceName(keyA, repoA, id+"-lg", id+"-lg") }},
		{name: "grpc/metrics-not-served", do: grpcDo(metricsSvc, keyA, repoA, func(string) []byte { return nil }),
			wantCode: []codes.Code{codes.Unimplemented}},
		{name: "grpc/unknown-method", do: grpcDo("/no.such.Service/Export", keyA, repoA, func(string) []byte { return nil }),
			wantCode: []codes.Code{codes.Unimplemented}},
	}
}

func queryClasses() []class {
	q := func(path string) func(e *env, id string) (outcome, error) { return get(queryEP, path).key(keyA).run }
	traces := "/api/v1/traces?repo=" + repoA
	return []class{
		{name: "query/from-not-a-time", do: q(traces + "&from=yesterday"), want: s400},
		{name: "query/to-before-from", do: q(traces + "&from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"), want: s400},
		{name: "query/from-huge-unix-ms", do: q(traces + "&from=99999999999999999999"), want: []int{http.StatusOK, http.StatusBadRequest}},
		{name: "query/limit-negative", do: q(traces + "&limit=-1"), want: s400},
		{name: "query/limit-not-a-number", do: q(traces + "&limit=ten"), want: s400},
		{name: "query/limit-huge", do: q(traces + "&limit=1000000000"), want: s200},
		{name: "query/cursor-garbage", do: q(traces + "&cursor=not-a-cursor"), want: s400},
		{name: "query/cursor-64KiB", do: q(traces + "&cursor=" + strings.Repeat("A", 64<<10)), want: s400},
		{name: "query/session-cursor-garbage", do: q("/api/v1/sessions?repo=" + repoA + "&cursor=%FF%FE"), want: s400},
		{name: "query/tag-without-colon", do: q(traces + "&tag=nocolon"), want: s400},
		{name: "query/10k-tag-filters", do: q(traces + strings.Repeat("&tag=k:v", 10000)), want: []int{http.StatusOK, http.StatusBadRequest}},
		{name: "query/status-unknown", do: q(traces + "&status=broken"), want: s400},
		{name: "query/min-duration-negative", do: q(traces + "&min_duration=-5s"), want: s400},
		{name: "query/min-cost-nan", do: q(traces + "&min_cost=NaN"), want: s400},
		{name: "query/eval-score-without-eval", do: q(traces + "&eval_score_lt=0.5"), want: s400},
		{name: "query/sort-unknown", do: q(traces + "&sort=random"), want: s400},
		{name: "query/stats-step-too-fine", do: q("/api/v1/stats?repo=" + repoA + "&step=1s"), want: s400},
		{name: "query/stats-step-garbage", do: q("/api/v1/stats?repo=" + repoA + "&step=often"), want: s400},
		{name: "query/stats-group-by-unknown", do: q("/api/v1/stats?repo=" + repoA + "&by=everything"), want: s400},
		{name: "query/id-over-512-bytes", do: q("/api/v1/traces/" + strings.Repeat("i", 600) + "?repo=" + repoA), want: s400},
		{name: "query/id-with-nul", do: q("/api/v1/traces/a%00b?repo=" + repoA), want: []int{http.StatusBadRequest, http.StatusNotFound}},
		{name: "query/id-invalid-utf8", do: q("/api/v1/traces/a%FF%FEb?repo=" + repoA), want: []int{http.StatusBadRequest, http.StatusNotFound}},
		{name: "query/entity-kind-unknown", do: q("/api/v1/entities/widget/x?repo=" + repoA), want: s400},
		{name: "query/unknown-endpoint", do: q("/api/v2/everything"), want: s404},
		{name: "query/wrong-method", do: post(queryEP, "/api/v1/traces?repo="+repoA).key(keyA).run, want: s405},
		{name: "query/attachment-traversal", do: q("/api/v1/attachments/repo-a/..%2f..%2frepo-b%2fx"), want: []int{http.StatusNotFound, http.StatusBadRequest}},
		{name: "query/key-of-several-repos-names-none", do: get(queryEP, "/api/v1/traces").key(keyMulti).run, want: s400},
		{name: "query/repo-wildcard-with-scoped-key", do: q("/api/v1/traces?repo=*"), want: s403},
		{name: "query/alerts-limit-garbage", do: q("/api/v1/alerts?repo=" + repoA + "&limit=-3"), want: s400},
		{name: "query/live-200-subscribers", do: liveFlood(200), want: s200},
	}
}

func tenancyClasses() []class {
	good := func(id string) []byte { return []byte(goodLine(id) + "\n") }
	otlpSpan := func(id string) []byte {
		return tracesProto(spans(id, func(_ string, sp ptrace.Span) {
			genAISpan("", sp)
			sp.Attributes().PutBool("maxim.normalized", true)
			sp.Attributes().PutStr("maxim.entity.kind", "generation")
			sp.Attributes().PutStr("maxim.repo.id", repoB)
		}))
	}
	traceLeak := func(id string) []string { return []string{traceHex(id, "t"), id + "-good", id + "-lg"} }
	return []class{
		{name: "tenancy/push-to-other-repo", do: post(mxinEP, "/api/sdk/v3/log?id="+repoB).key(keyA).bodyf(good).run, want: s403, leaks: traceLeak},
		{name: "tenancy/push-repo-twice", do: post(mxinEP, "/api/sdk/v3/log?id="+repoA+"&id="+repoB).key(keyA).bodyf(good).run, want: s200,
			leaks: traceLeak, check: keepsGood},
		{name: "tenancy/push-repo-twice-other-first", do: post(mxinEP, "/api/sdk/v3/log?id="+repoB+"&id="+repoA).key(keyA).bodyf(good).run, want: s403, leaks: traceLeak},
		{name: "tenancy/repo-check-other-repo", do: get(mxinEP, "/api/sdk/v3/log-repositories?loggerId="+repoB).key(keyA).run, want: s403},
		{name: "tenancy/upload-url-other-repo", do: get(mxinEP, uploadURL+"?key=repo-b/large-logs/x&mimeType=text/plain").key(keyA).run, want: s403},
		{name: "tenancy/large-log-pointer-other-repo", do: push(mixed(`storage{id=@@-p,action=process-large-log,data={"key":"repo-b/large-logs/x"}}`)).run,
			want: s200, check: report(1, 1)},
		{name: "tenancy/public-api-other-repo", do: post(mxinEP, "/v1/logging").key(keyA).ctype("application/json").bodyf(func(id string) []byte {
			return []byte(`{"repoId":"repo-b","entity":"trace","action":"start","entityId":"` + id + `-good"}`)
		}).run, want: s403, leaks: traceLeak},
		{name: "tenancy/public-batch-other-repo", do: post(mxinEP, "/v1/logs/batch").key(keyA).ctype("application/json").bodyf(func(id string) []byte {
			return []byte(`{"repoId":"repo-b","logs":[{"type":"trace","id":"` + id + `-good"}]}`)
		}).run, want: s403, leaks: traceLeak},
		{name: "tenancy/otel-repo-header-other-repo", do: post(mxinEP, otelPath).key(keyA).repo(repoB).ctype("application/x-protobuf").
			bodyf(func(id string) []byte { return tracesProto(spans(id, genAISpan)) }).run, want: s403, leaks: traceLeak},
		{name: "tenancy/otlp-core-repo-header-other-repo", do: post(otlpEP, "/v1/traces").key(keyA).repo(repoB).ctype("application/x-protobuf").
			bodyf(func(id string) []byte { return tracesProto(spans(id, genAISpan)) }).run, want: s403, leaks: traceLeak},
		{name: "tenancy/otlp-core-repo-header-twice", do: post(otlpEP, "/v1/traces").key(keyA).repo(repoA).repo(repoB).ctype("application/x-protobuf").
			bodyf(func(id string) []byte { return tracesProto(spans(id, genAISpan)) }).run, want: []int{http.StatusOK, http.StatusForbidden}, leaks: traceLeak},
		{name: "tenancy/langfuse-public-key-other-repo", do: post(mxinEP, langfuse).header("Authorization", basicAuth(repoB, keyA)).ctype("application/x-protobuf").
			bodyf(func(id string) []byte { return tracesProto(spans(id, genAISpan)) }).run, want: s403, leaks: traceLeak},
		{name: "tenancy/otlp-core-span-claims-other-repo", do: post(otlpEP, "/v1/traces").key(keyA).repo(repoA).ctype("application/x-protobuf").bodyf(otlpSpan).run,
			want: s200, leaks: traceLeak, check: readableOTLP()},
		{name: "tenancy/otlp-core-span-claims-other-repo-no-header", do: post(otlpEP, "/v1/traces").key(keyA).ctype("application/x-protobuf").bodyf(otlpSpan).run,
			want: s200, leaks: traceLeak, check: readableOTLP()},
		{name: "tenancy/otel-span-claims-other-repo", do: post(mxinEP, otelPath).key(keyA).repo(repoA).ctype("application/x-protobuf").bodyf(otlpSpan).run,
			want: s200, leaks: traceLeak, check: readableOTLP()},
		{name: "tenancy/grpc-span-claims-other-repo", do: grpcDo(traceSvc, keyA, "", otlpSpan), wantCode: []codes.Code{codes.OK}, leaks: traceLeak, check: readableOTLP()},
		{name: "tenancy/grpc-repo-header-other-repo", do: grpcDo(traceSvc, keyA, repoB, otlpSpan), wantCode: []codes.Code{codes.PermissionDenied}, leaks: traceLeak},
		{name: "tenancy/otlp-logs-commit-claims-other-repo", do: post(otlpEP, "/v1/logs").key(keyA).repo(repoA).ctype("application/json").bodyf(func(id string) []byte {
			return logsJSON(commitRecords(map[string]string{"maxim.repo_id": repoB, "maxim.entity": "trace", "maxim.entity_id": id + "-lg", "maxim.action": "create", "body": `{"name":"` + id + `-lg"}`}))
		}).run, want: s200, leaks: traceLeak, check: func(e *env, id string, o outcome) error { return e.traceName(keyA, repoA, id+"-lg", id+"-lg") }},
		{name: "tenancy/mxin-logs-commit-claims-other-repo", do: post(mxinEP, "/v1/logs").key(keyA).repo(repoA).ctype("application/x-protobuf").bodyf(func(id string) []byte {
			return logsProto(commitRecords(map[string]string{"maxim.repo_id": repoB, "maxim.entity": "trace", "maxim.entity_id": id + "-lg", "maxim.action": "create", "body": `{"name":"` + id + `-lg"}`}))
		}).run, want: s200, leaks: traceLeak, check: func(e *env, id string, o outcome) error { return e.traceName(keyA, repoA, id+"-lg", id+"-lg") }},
		{name: "tenancy/same-trace-id-in-both-repos", do: push(lines(`trace{id=shared-trace,action=create,data={"name":"a-version"}}`)).run, want: s200,
			check: func(e *env, id string, o outcome) error {
				if err := e.traceName(keyA, repoA, "shared-trace", "a-version"); err != nil {
					return err
				}
				return e.traceName(keyB, repoB, "shared-trace", "b-original")
			}},
		{name: "tenancy/join-other-repos-session", do: push(lines(`trace{id=@@-sj,action=create,data={"name":"@@-sj","sessionId":"b-session"}}`)).run, want: s200,
			check: func(e *env, id string, o outcome) error {
				var s struct {
					Session *harness.Node `json:"session"`
				}
				if _, err := harness.GetJSON(context.Background(), e.url(queryEP, "/api/v1/sessions/b-session?repo="+repoB), keyB, &s); err != nil {
					return err
				}
				if s.Session == nil || len(s.Session.Children) != 1 || s.Session.Children[0].ID != "shared-trace" {
					return fmt.Errorf("repo-b's session b-session holds %+v, want only shared-trace", s.Session)
				}
				return nil
			}},
		{name: "tenancy/query-search-other-repo", do: get(queryEP, "/api/v1/traces?repo="+repoB).key(keyA).run, want: s403},
		{name: "tenancy/query-trace-other-repo", do: get(queryEP, "/api/v1/traces/b-only?repo="+repoB).key(keyA).run, want: s403},
		{name: "tenancy/query-trace-other-repo-by-id-only", do: get(queryEP, "/api/v1/traces/b-only").key(keyA).run, want: s404},
		{name: "tenancy/query-sessions-other-repo", do: get(queryEP, "/api/v1/sessions/b-session?repo="+repoB).key(keyA).run, want: s403},
		{name: "tenancy/query-entity-other-repo", do: get(queryEP, "/api/v1/entities/trace/b-only?repo="+repoB).key(keyA).run, want: s403},
		{name: "tenancy/query-stats-other-repo", do: get(queryEP, "/api/v1/stats?repo="+repoB).key(keyA).run, want: s403},
		{name: "tenancy/query-alerts-other-repo", do: get(queryEP, "/api/v1/alerts?repo="+repoB).key(keyA).run, want: s403},
		{name: "tenancy/query-live-other-repo", do: get(queryEP, "/api/v1/live?repo="+repoB).key(keyA).run, want: s403},
		{name: "tenancy/query-repo-header-other-repo", do: get(queryEP, "/api/v1/traces?repo="+repoA).key(keyA).repo(repoB).run, want: s403},
		{name: "tenancy/query-attachment-other-repo", do: attachmentOfB(), want: []int{http.StatusForbidden, http.StatusNotFound}},
		{name: "tenancy/live-feed-shows-only-own-repo", do: liveIsolation(), want: s200},
	}
}

func connClasses() []class {
	return []class{
		{name: "conn/slowloris-headers-x200", do: slowloris(mxinEP, 200)},
		{name: "conn/slow-bodies-declaring-60MiB-x64", do: slowBodies(mxinEP, pushA, 64, 60<<20)},
		{name: "conn/slow-bodies-otlp-core-x64", do: slowBodies(otlpEP, "/v1/traces", 64, 19<<20)},
		{name: "conn/slow-bodies-query-x64", do: slowBodies(queryEP, "/api/v1/traces?repo="+repoA, 64, 1<<20)},
		{name: "conn/header-2MiB", do: rawDo(mxinEP, func(id string) []byte {
			return rawHTTP("POST", pushA, []string{"x-maxim-api-key: " + keyA, "X-Filler: " + strings.Repeat("h", 2<<20)}, "")
		}, false), want: s431},
		{name: "conn/20k-headers", do: rawDo(otlpEP, func(id string) []byte {
			hs := []string{"x-maxim-api-key: " + keyA}
			for i := 0; i < 20000; i++ {
				hs = append(hs, fmt.Sprintf("X-H%d: v", i))
			}
			return rawHTTP("POST", "/v1/traces", hs, "")
		}, false), want: s431},
		{name: "conn/url-2MiB", do: rawDo(queryEP, func(id string) []byte {
			return rawHTTP("GET", "/api/v1/traces?repo=repo-a&name="+strings.Repeat("n", 2<<20), []string{"x-maxim-api-key: " + keyA}, "")
		}, false), want: []int{http.StatusRequestHeaderFieldsTooLarge, http.StatusRequestURITooLong}},
		{name: "conn/not-http", do: rawDo(mxinEP, func(string) []byte { return pseudoRandom("not-http", 4096) }, true), want: s400},
		{name: "conn/tls-client-hello-on-plaintext", do: rawDo(otlpEP, func(string) []byte {
			return append([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03}, pseudoRandom("tls", 508)...)
		}, true), want: s400},
		{name: "conn/http2-preface-without-h2c", do: rawDo(queryEP, func(string) []byte {
			return []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
		}, true), want: s400, bare: true},
		{name: "conn/pipelined-100-requests", do: pipelined(100), want: s200},
		{name: "conn/reset-mid-body", do: resetMidBody()},
		{name: "conn/300-idle-connections", do: idleConns(300)},
		{name: "conn/expect-continue-over-limit", do: rawDo(mxinEP, func(id string) []byte {
			return rawHTTP("POST", pushA, []string{"x-maxim-api-key: " + keyA, "Content-Length: 999999999", "Expect: 100-continue"}, "")
		}, false), want: s413},
	}
}
