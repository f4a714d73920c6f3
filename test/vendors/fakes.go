// Package vendors holds local stand-ins for the vendor intakes the
// distribution forwards to, decoding exactly what the real exporters send:
// Datadog's OTLP intake (OTLP/HTTP protobuf for traces, metrics and logs,
// with the API key in the dd-api-key header, as Datadog documents for
// OpenTelemetry senders) and a New Relic OTLP endpoint (OTLP/HTTP protobuf
// with the license key in the api-key header).
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

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// The paths of Datadog's OTLP intake, one host per signal in production
// (otlp.<site>, api.<site>, http-intake.logs.<site>); the fake serves all
// three on one listener.
const (
	DatadogTracesPath  = "/v1/traces"
	DatadogMetricsPath = "/api/intake/otlp/v1/metrics"
	DatadogLogsPath    = "/v1/logs"
)

// DatadogIntake is a fake of Datadog's OTLP intake. Point the otlp_http
// exporter's traces/metrics/logs endpoints at URL plus the paths above.
type DatadogIntake struct {
	*httptest.Server
	APIKey string
	// Source is the dd-otlp-source value traces must carry (llmobs routes
	// gen_ai spans to LLM Observability); empty accepts any.
	Source string

	mu      sync.Mutex
	traces  []ptrace.Traces
	metrics []pmetric.Metrics
	logs    []plog.Logs
	hits    map[string]int
	badReqs int
	errs    []error
}

// NewDatadogIntake starts a fake intake accepting apiKey and requiring
// dd-otlp-source: source on traces.
func NewDatadogIntake(apiKey, source string) *DatadogIntake {
	d := &DatadogIntake{APIKey: apiKey, Source: source, hits: map[string]int{}}
	d.Server = httptest.NewServer(http.HandlerFunc(d.serve))
	return d
}

func (d *DatadogIntake) serve(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	d.hits[r.URL.Path]++
	d.mu.Unlock()
	if err := d.checkHeaders(r); err != nil {
		d.mu.Lock()
		d.badReqs++
		d.mu.Unlock()
		d.fail(err)
		http.Error(w, `{"errors":["Forbidden"]}`, http.StatusForbidden)
		return
	}
	body, err := readBody(r)
	if err != nil {
		d.fail(fmt.Errorf("%s: %w", r.URL.Path, err))
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var resp []byte
	switch r.URL.Path {
	case DatadogTracesPath:
		req := ptraceotlp.NewExportRequest()
		if err = req.UnmarshalProto(body); err == nil {
			d.mu.Lock()
			d.traces = append(d.traces, req.Traces())
			d.mu.Unlock()
			resp, err = ptraceotlp.NewExportResponse().MarshalProto()
		}
	case DatadogMetricsPath:
		req := pmetricotlp.NewExportRequest()
		if err = req.UnmarshalProto(body); err == nil {
			d.mu.Lock()
			d.metrics = append(d.metrics, req.Metrics())
			d.mu.Unlock()
			resp, err = pmetricotlp.NewExportResponse().MarshalProto()
		}
	case DatadogLogsPath:
		req := plogotlp.NewExportRequest()
		if err = req.UnmarshalProto(body); err == nil {
			d.mu.Lock()
			d.logs = append(d.logs, req.Logs())
			d.mu.Unlock()
			resp, err = plogotlp.NewExportResponse().MarshalProto()
		}
	default:
		err = fmt.Errorf("no OTLP intake at %s", r.URL.Path)
		d.fail(err)
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	if err != nil {
		d.fail(fmt.Errorf("%s: decode OTLP: %w", r.URL.Path, err))
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(resp)
}

// checkHeaders enforces what Datadog's OTLP intake requires of a request:
// the API key in dd-api-key, http/protobuf encoding, dd-protocol: otlp on
// logs, and (here) the LLM Observability source on traces.
func (d *DatadogIntake) checkHeaders(r *http.Request) error {
	if r.Method != http.MethodPost {
		return fmt.Errorf("%s %s: the intake takes POST", r.Method, r.URL.Path)
	}
	if got := r.Header.Get("dd-api-key"); got != d.APIKey {
		return fmt.Errorf("%s without the API key in dd-api-key (headers %v)", r.URL.Path, r.Header)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-protobuf") {
		return fmt.Errorf("%s: content type %q, the intake is fed http/protobuf", r.URL.Path, ct)
	}
	if r.URL.Path == DatadogLogsPath && r.Header.Get("dd-protocol") != "otlp" {
		return fmt.Errorf("%s without dd-protocol: otlp", r.URL.Path)
	}
	if r.URL.Path == DatadogTracesPath && d.Source != "" && r.Header.Get("dd-otlp-source") != d.Source {
		return fmt.Errorf("%s: dd-otlp-source %q, want %q", r.URL.Path, r.Header.Get("dd-otlp-source"), d.Source)
	}
	return nil
}

func (d *DatadogIntake) fail(err error) {
	d.mu.Lock()
	d.errs = append(d.errs, err)
	d.mu.Unlock()
}

// Spans returns every span received so far.
func (d *DatadogIntake) Spans() []ptrace.Span {
	d.mu.Lock()
	defer d.mu.Unlock()
	return spansOf(d.traces)
}

// Traces returns every traces payload received so far (spans with their
// resource, e.g. service.name).
func (d *DatadogIntake) Traces() []ptrace.Traces {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]ptrace.Traces(nil), d.traces...)
}

// Metrics returns every metrics payload received so far.
func (d *DatadogIntake) Metrics() []pmetric.Metrics {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]pmetric.Metrics(nil), d.metrics...)
}

// LogRecords returns every log record received so far.
func (d *DatadogIntake) LogRecords() []plog.LogRecord {
	d.mu.Lock()
	defer d.mu.Unlock()
	return recordsOf(d.logs)
}

// Hits returns how many requests reached path.
func (d *DatadogIntake) Hits(path string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.hits[path]
}

// Errors returns decoding errors and the number of requests refused for
// their headers.
func (d *DatadogIntake) Errors() ([]error, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]error(nil), d.errs...), d.badReqs
}

// NewRelicOTLP is a fake New Relic native OTLP endpoint (traces and logs
// decoded; metrics accepted unread).
type NewRelicOTLP struct {
	*httptest.Server
	LicenseKey string

	mu      sync.Mutex
	traces  []ptrace.Traces
	logs    []plog.Logs
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
	if r.URL.Path != "/v1/traces" && r.URL.Path != "/v1/logs" {
		w.WriteHeader(http.StatusOK) // metrics: accepted, unused here
		return
	}
	body, err := readBody(r)
	if err == nil && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-protobuf") {
		err = fmt.Errorf("content type %q: New Relic is fed protobuf", r.Header.Get("Content-Type"))
	}
	var resp []byte
	if err == nil && r.URL.Path == "/v1/logs" {
		req := plogotlp.NewExportRequest()
		if err = req.UnmarshalProto(body); err == nil {
			n.mu.Lock()
			n.logs = append(n.logs, req.Logs())
			n.mu.Unlock()
			resp, err = plogotlp.NewExportResponse().MarshalProto()
		}
	} else if err == nil {
		req := ptraceotlp.NewExportRequest()
		if err = req.UnmarshalProto(body); err == nil {
			n.mu.Lock()
			n.traces = append(n.traces, req.Traces())
			n.mu.Unlock()
			resp, err = ptraceotlp.NewExportResponse().MarshalProto()
		}
	}
	if err != nil {
		n.mu.Lock()
		n.errs = append(n.errs, err)
		n.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(resp)
}

// LogRecords returns every log record received so far.
func (n *NewRelicOTLP) LogRecords() []plog.LogRecord {
	n.mu.Lock()
	defer n.mu.Unlock()
	return recordsOf(n.logs)
}

// Spans returns every span received so far.
func (n *NewRelicOTLP) Spans() []ptrace.Span {
	n.mu.Lock()
	defer n.mu.Unlock()
	return spansOf(n.traces)
}

func recordsOf(lds []plog.Logs) []plog.LogRecord {
	var out []plog.LogRecord
	for _, ld := range lds {
		rls := ld.ResourceLogs()
		for i := 0; i < rls.Len(); i++ {
			sls := rls.At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				for k := 0; k < sls.At(j).LogRecords().Len(); k++ {
					out = append(out, sls.At(j).LogRecords().At(k))
				}
			}
		}
	}
	return out
}

func spansOf(tds []ptrace.Traces) []ptrace.Span {
	var out []ptrace.Span
	for _, td := range tds {
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
