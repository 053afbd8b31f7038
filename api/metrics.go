package api

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/backbone-registry/backbone/catalog"
)

// Metrics holds the Prometheus metrics served on /metrics. Gauges read the
// served snapshot at scrape time, so the request path pays nothing for them.
type Metrics struct {
	reg          *prometheus.Registry
	syncDuration *prometheus.HistogramVec
}

// NewMetrics registers Backbone's metrics: sync duration and outcomes,
// commits processed, versions created, rejected commits and open
// rejections, the last
// successful sync, the size of the served catalog, and the Go runtime.
func NewMetrics(src Source, ing *catalog.Ingester, syncer Syncer) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		syncDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "backbone_sync_duration_seconds",
			Help:    "Duration of sync attempts, by outcome (ok, error).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}, []string{"outcome"}),
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), m.syncDuration)
	if ing != nil {
		counter := func(name, help string, get func(catalog.Counts) int) {
			m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
				func() float64 { return float64(get(ing.Counts())) }))
		}
		counter("backbone_sync_commits_total", "Commits processed.", func(c catalog.Counts) int { return c.Commits })
		counter("backbone_versions_created_total", "Topic versions created.", func(c catalog.Counts) int { return c.Versions })
		counter("backbone_rejections_total", "Rejected commits seen: a topic broken by a commit, or a commit that does not load (one per topic per commit).", func(c catalog.Counts) int { return c.Rejections })
	}
	if syncer != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "backbone_sync_last_success_timestamp_seconds", Help: "When the last sync succeeded (Unix time; 0: never).",
		}, func() float64 {
			if t := syncer.Status().LastSuccess; !t.IsZero() {
				return float64(t.UnixNano()) / 1e9
			}
			return 0
		}))
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "backbone_sync_leader", Help: "1 when this replica holds the sync lease.",
		}, func() float64 {
			if syncer.Status().Leader {
				return 1
			}
			return 0
		}))
	}
	gauge := func(name, help string, get func(*catalog.Catalog) int) {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			if c := src.Catalog(); c != nil {
				return float64(get(c))
			}
			return 0
		}))
	}
	gauge("backbone_topics", "Topics in the served catalog.", func(c *catalog.Catalog) int { return len(c.Topics(catalog.TopicFilter{})) })
	gauge("backbone_services", "Services in the served catalog.", func(c *catalog.Catalog) int { return len(c.Services()) })
	gauge("backbone_versions", "Topic versions served.", func(c *catalog.Catalog) int {
		if h := c.History(); h != nil {
			return h.VersionCount()
		}
		return 0
	})
	gauge("backbone_rejections_open", "Open rejections: topics stuck on a rejected commit, plus one while commits do not load.", func(c *catalog.Catalog) int {
		if h := c.History(); h != nil {
			return len(h.OpenRejections())
		}
		return 0
	})
	gauge("backbone_snapshot_loaded", "1 once a snapshot is served.", func(*catalog.Catalog) int { return 1 })
	return m
}

// ObserveSync records one sync attempt; give it to catalog.Syncer.Observe.
func (m *Metrics) ObserveSync(r catalog.SyncReport) {
	outcome := "ok"
	if r.Err != nil {
		outcome = "error"
	}
	m.syncDuration.WithLabelValues(outcome).Observe(r.Duration.Seconds())
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
