package genainormalizeprocessor

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
	"github.com/otelcol-genai/otelcol-genai/processor/genainormalizeprocessor/internal/metadata"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestPreNormalizedSpansOverTheWire sends spans that claim to be normalized
// but are not what the normalizer writes (issue 16 item 1: the first of them
// panicked in the pass-through, which over gRPC killed the process and over
// HTTP left the request unanswered) to the core otlp receiver over gRPC and
// HTTP, with genai_normalize behind it. Every request is answered with
// success and every span arrives normalized.
func TestPreNormalizedSpansOverTheWire(t *testing.T) {
	sink := new(consumertest.TracesSink)
	proc, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), createDefaultConfig(), sink)
	if err != nil {
		t.Fatal(err)
	}
	grpcAddr, httpAddr := freeAddr(t), freeAddr(t)
	rf := otlpreceiver.NewFactory()
	cfg := rf.CreateDefaultConfig()
	if err := confmap.NewFromStringMap(map[string]any{"protocols": map[string]any{
		"grpc": map[string]any{"endpoint": grpcAddr},
		"http": map[string]any{"endpoint": httpAddr},
	}}).Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	r, err := rf.CreateTraces(context.Background(), receivertest.NewNopSettings(rf.Type()), cfg, proc)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := ptraceotlp.NewGRPCClient(conn)

	cases := []map[string]any{
		{"maxim.normalized": true},
		{"maxim.normalized": true, "maxim.entity.kind": int64(3)},
		{"maxim.normalized": true, "maxim.entity.kind": "no-such-kind"},
		{"maxim.normalized": "true", "maxim.entity.kind": "generation"},
		{"maxim.normalized": true, "maxim.entity.kind": "generation", "maxim.usage.input_tokens": "many",
			"maxim.input.messages": []any{int64(1)}, "maxim.repo.id": map[string]any{"x": int64(1)}},
	}
	sent := 0
	for i, attrs := range cases {
		td := ptrace.NewTraces()
		sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		sp.SetName("pre-normalized")
		sp.SetTraceID([16]byte{byte(i + 1)})
		sp.SetSpanID([8]byte{byte(i + 1)})
		if err := sp.Attributes().FromRaw(attrs); err != nil {
			t.Fatal(err)
		}
		req := ptraceotlp.NewExportRequestFromTraces(td)
		if _, err := client.Export(context.Background(), req); err != nil {
			t.Fatalf("gRPC %v: %v", attrs, err)
		}
		body, err := req.MarshalProto()
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post("http://"+httpAddr+"/v1/traces", "application/x-protobuf", bytes.NewReader(body))
		if err != nil {
			t.Fatalf("HTTP %v: %v", attrs, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("HTTP %v: status %d", attrs, resp.StatusCode)
		}
		sent += 2
	}
	if sink.SpanCount() != sent {
		t.Fatalf("%d spans arrived, %d sent", sink.SpanCount(), sent)
	}
	for _, td := range sink.AllTraces() {
		forEachSpan(td, func(sp ptrace.Span) {
			if _, ok := spancommit.NormalizedKind(sp.Attributes()); !ok {
				t.Errorf("span arrived unnormalized: %v", sp.Attributes().AsRaw())
			}
		})
	}
}
