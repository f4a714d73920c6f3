// Package vendors holds local stand-ins for the vendor intakes the
// distribution forwards to, decoding exactly what the real exporters send:
// a Datadog intake (the contrib datadog exporter's trace, metric, sketch
// and log endpoints plus the API-key check) and a New Relic OTLP endpoint
// (OTLP/HTTP protobuf with the license key in the api-key header).
// DataDog's own fakeintake module is not reachable from this build
// environment, so the trace payload is decoded here with the agent's
// protobuf types.
package vendors

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	pb "github.com/DataDog/datadog-agent/pkg/proto/pbgo/trace"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// DatadogIntake is a fake Datadog intake. Point the datadog exporter's
// api/traces/metrics/logs endpoints at URL.
type DatadogIntake struct {
	*httptest.Server
	APIKey string

	mu       sync.Mutex
	payloads []*pb.AgentPayload
	hits     map[string]int
	badKeys  int
	errs     []error
}

// NewDatadogIntake starts a fake intake accepting apiKey.
func NewDatadogIntake(apiKey string) *DatadogIntake {
	d := &DatadogIntake{APIKey: apiKey, hits: map[string]int{}}
	d.Server = httptest.NewServer(http.HandlerFunc(d.serve))
	return d
}

func (d *DatadogIntake) serve(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	d.hits[r.URL.Path]++
	d.mu.Unlock()
	// The header, or the api_key query parameter Datadog also accepts
	// (the metrics exporter's key validation uses it).
	key := r.Header.Get("DD-API-KEY")
	if key == "" {
		key = r.URL.Query().Get("api_key")
	}
	if key != d.APIKey {
		d.mu.Lock()
		d.badKeys++
		d.mu.Unlock()
		d.fail(fmt.Errorf("%s %s without the API key (headers %v)", r.Method, r.URL.Path, r.Header))
		http.Error(w, `{"errors":["Forbidden"]}`, http.StatusForbidden)
		return
	}
	body, err := readBody(r)
	if err != nil {
		d.fail(fmt.Errorf("%s: %w", r.URL.Path, err))
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch r.URL.Path {
	case "/api/v1/validate":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"valid":true}`)
		return
	case "/api/v0.2/traces":
		var p pb.AgentPayload
		if err := p.UnmarshalVT(body); err != nil {
			d.fail(fmt.Errorf("decode AgentPayload: %w", err))
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		d.mu.Lock()
		d.payloads = append(d.payloads, &p)
		d.mu.Unlock()
	}
	// Series, sketches, logs, stats, metadata: accepted and counted.
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{}`)
}

func (d *DatadogIntake) fail(err error) {
	d.mu.Lock()
	d.errs = append(d.errs, err)
	d.mu.Unlock()
}

// Spans returns every span received so far, across payloads.
func (d *DatadogIntake) Spans() []*pb.Span {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []*pb.Span
	for _, p := range d.payloads {
		for _, tp := range p.TracerPayloads {
			for _, c := range tp.Chunks {
				out = append(out, c.Spans...)
			}
		}
	}
	return out
}

// Hits returns how many requests reached path.
func (d *DatadogIntake) Hits(path string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.hits[path]
}

// Errors returns decoding errors and the number of requests with a wrong key.
func (d *DatadogIntake) Errors() ([]error, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]error(nil), d.errs...), d.badKeys
}

// NewRelicOTLP is a fake New Relic native OTLP endpoint (traces only).
type NewRelicOTLP struct {
	*httptest.Server
	LicenseKey string

	mu      sync.Mutex
	traces  []ptrace.Traces
	badKeys int
	errs    []error
}

// NewNewRelicOTLP starts a fake endpoint accepting licenseKey.
func NewNewRelicOTLP(licenseKey string) *NewRelicOTLP {
	n := &NewRelicOTLP{LicenseKey: licenseKey}
	n.Server = httptest.NewServer(http.HandlerFunc(n.serve))
	return n
}

func (n *NewRelicOTLP) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("api-key") != n.LicenseKey {
		n.mu.Lock()
		n.badKeys++
		n.mu.Unlock()
		http.Error(w, "invalid license key", http.StatusForbidden)
		return
	}
	if r.URL.Path != "/v1/traces" {
		w.WriteHeader(http.StatusOK) // metrics/logs: accepted, unused here
		return
	}
	body, err := readBody(r)
	if err == nil && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-protobuf") {
		err = fmt.Errorf("content type %q: New Relic is fed protobuf", r.Header.Get("Content-Type"))
	}
	req := ptraceotlp.NewExportRequest()
	if err == nil {
		err = req.UnmarshalProto(body)
	}
	if err != nil {
		n.mu.Lock()
		n.errs = append(n.errs, err)
		n.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	n.mu.Lock()
	n.traces = append(n.traces, req.Traces())
	n.mu.Unlock()
	resp, _ := ptraceotlp.NewExportResponse().MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(resp)
}

// Spans returns every span received so far.
func (n *NewRelicOTLP) Spans() []ptrace.Span {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []ptrace.Span
	for _, td := range n.traces {
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			sss := rss.At(i).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				for k := 0; k < sss.At(j).Spans().Len(); k++ {
					out = append(out, sss.At(j).Spans().At(k))
				}
			}
		}
	}
	return out
}

// Errors returns decoding errors and the number of requests with a wrong key.
func (n *NewRelicOTLP) Errors() ([]error, int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]error(nil), n.errs...), n.badKeys
}

// readBody undoes the Content-Encoding the exporters use.
func readBody(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	var rd io.ReadCloser
	switch r.Header.Get("Content-Encoding") {
	case "":
		return raw, nil
	case "gzip":
		rd, err = gzip.NewReader(bytes.NewReader(raw))
	case "deflate":
		rd, err = zlib.NewReader(bytes.NewReader(raw))
	default:
		return nil, fmt.Errorf("unsupported content encoding %q", r.Header.Get("Content-Encoding"))
	}
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(rd)
}
