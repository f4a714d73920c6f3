package metadatacheck

import (
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// Instrument is what a component registered: enough to compare with a
// metadata.yaml entry.
type Instrument struct {
	Name  string
	Unit  string
	Type  string // sum, gauge or histogram
	Value string // int or double
	// Monotonic is meaningful for sums.
	Monotonic bool
	// Async is true for observable instruments.
	Async bool
}

// Recorder is a metric.MeterProvider that remembers every instrument
// created through it (and records nothing).
type Recorder struct {
	noop.MeterProvider
	Instruments []Instrument
}

// Meter returns a meter that records instrument creation into r.
func (r *Recorder) Meter(string, ...metric.MeterOption) metric.Meter { return &meter{r: r} }

type meter struct {
	noop.Meter
	r *Recorder
}

func (m *meter) add(i Instrument) { m.r.Instruments = append(m.r.Instruments, i) }

func (m *meter) Int64Counter(n string, o ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	m.add(Instrument{n, metric.NewInt64CounterConfig(o...).Unit(), "sum", "int", true, false})
	return m.Meter.Int64Counter(n)
}

func (m *meter) Int64UpDownCounter(n string, o ...metric.Int64UpDownCounterOption) (metric.Int64UpDownCounter, error) {
	m.add(Instrument{n, metric.NewInt64UpDownCounterConfig(o...).Unit(), "sum", "int", false, false})
	return m.Meter.Int64UpDownCounter(n)
}

func (m *meter) Int64Histogram(n string, o ...metric.Int64HistogramOption) (metric.Int64Histogram, error) {
	m.add(Instrument{n, metric.NewInt64HistogramConfig(o...).Unit(), "histogram", "int", false, false})
	return m.Meter.Int64Histogram(n)
}

func (m *meter) Int64Gauge(n string, o ...metric.Int64GaugeOption) (metric.Int64Gauge, error) {
	m.add(Instrument{n, metric.NewInt64GaugeConfig(o...).Unit(), "gauge", "int", false, false})
	return m.Meter.Int64Gauge(n)
}

func (m *meter) Int64ObservableCounter(n string, o ...metric.Int64ObservableCounterOption) (metric.Int64ObservableCounter, error) {
	m.add(Instrument{n, metric.NewInt64ObservableCounterConfig(o...).Unit(), "sum", "int", true, true})
	return m.Meter.Int64ObservableCounter(n)
}

func (m *meter) Int64ObservableUpDownCounter(n string, o ...metric.Int64ObservableUpDownCounterOption) (metric.Int64ObservableUpDownCounter, error) {
	m.add(Instrument{n, metric.NewInt64ObservableUpDownCounterConfig(o...).Unit(), "sum", "int", false, true})
	return m.Meter.Int64ObservableUpDownCounter(n)
}

func (m *meter) Int64ObservableGauge(n string, o ...metric.Int64ObservableGaugeOption) (metric.Int64ObservableGauge, error) {
	m.add(Instrument{n, metric.NewInt64ObservableGaugeConfig(o...).Unit(), "gauge", "int", false, true})
	return m.Meter.Int64ObservableGauge(n)
}

func (m *meter) Float64Counter(n string, o ...metric.Float64CounterOption) (metric.Float64Counter, error) {
	m.add(Instrument{n, metric.NewFloat64CounterConfig(o...).Unit(), "sum", "double", true, false})
	return m.Meter.Float64Counter(n)
}

func (m *meter) Float64UpDownCounter(n string, o ...metric.Float64UpDownCounterOption) (metric.Float64UpDownCounter, error) {
	m.add(Instrument{n, metric.NewFloat64UpDownCounterConfig(o...).Unit(), "sum", "double", false, false})
	return m.Meter.Float64UpDownCounter(n)
}

func (m *meter) Float64Histogram(n string, o ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	m.add(Instrument{n, metric.NewFloat64HistogramConfig(o...).Unit(), "histogram", "double", false, false})
	return m.Meter.Float64Histogram(n)
}

func (m *meter) Float64Gauge(n string, o ...metric.Float64GaugeOption) (metric.Float64Gauge, error) {
	m.add(Instrument{n, metric.NewFloat64GaugeConfig(o...).Unit(), "gauge", "double", false, false})
	return m.Meter.Float64Gauge(n)
}

func (m *meter) Float64ObservableCounter(n string, o ...metric.Float64ObservableCounterOption) (metric.Float64ObservableCounter, error) {
	m.add(Instrument{n, metric.NewFloat64ObservableCounterConfig(o...).Unit(), "sum", "double", true, true})
	return m.Meter.Float64ObservableCounter(n)
}

func (m *meter) Float64ObservableUpDownCounter(n string, o ...metric.Float64ObservableUpDownCounterOption) (metric.Float64ObservableUpDownCounter, error) {
	m.add(Instrument{n, metric.NewFloat64ObservableUpDownCounterConfig(o...).Unit(), "sum", "double", false, true})
	return m.Meter.Float64ObservableUpDownCounter(n)
}

func (m *meter) Float64ObservableGauge(n string, o ...metric.Float64ObservableGaugeOption) (metric.Float64ObservableGauge, error) {
	m.add(Instrument{n, metric.NewFloat64ObservableGaugeConfig(o...).Unit(), "gauge", "double", false, true})
	return m.Meter.Float64ObservableGauge(n)
}
