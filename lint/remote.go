package lint

import (
	"context"
	"fmt"
	"sync"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
	"github.com/backbone-registry/backbone/compat"
)

// Registry is a running Backbone as `registry lint --against <URL>` reads
// it: the topics it serves and every version of their contracts. Because
// the registry keeps every version, a transitive check against it is
// complete even from a shallow clone. The caller implements it over HTTP.
type Registry interface {
	// Topics lists the topics the registry serves.
	Topics(ctx context.Context) ([]RemoteTopic, error)
	// Versions lists a topic's versions, oldest first.
	Versions(ctx context.Context, topic string) ([]registry.TopicVersion, error)
	// Schemas returns the .proto files of one version of a topic: the
	// schema of every subject, imports included.
	Schemas(ctx context.Context, topic string, version int) ([]registry.Schema, error)
	// String names the registry in reports, without credentials.
	String() string
}

// RemoteTopic is a topic as a registry lists it (GET /v1/topics).
type RemoteTopic struct {
	Name       string                `json:"name"`
	Service    string                `json:"service"`
	Owner      string                `json:"owner"`
	Consumers  []string              `json:"consumers"`
	Deprecated *registry.Deprecation `json:"deprecated,omitempty"`
}

// fetchers bounds the requests in flight to a registry.
const fetchers = 8

// againstRegistry compares the working tree with what a registry serves.
// A topic whose contract fingerprint equals its latest version's is
// unchanged; the others are checked against the latest version, or every
// version for transitive modes.
func (c *comparison) againstRegistry(ctx context.Context) error {
	reg := c.opts.Registry
	remote, err := reg.Topics(ctx)
	if err != nil {
		return err
	}
	byName := map[string]RemoteTopic{}
	for _, rt := range remote {
		byName[rt.Name] = rt
	}

	type job struct {
		t        *registry.Topic
		ct       compat.Contract
		versions []registry.TopicVersion
		previous []compat.Contract
		err      error
	}
	var jobs []*job
	for _, t := range c.w.Topics(catalog.TopicFilter{}) {
		if _, ok := byName[t.Name]; !ok {
			c.added(t)
			continue
		}
		if ct, ok := c.w.ContractOf(t); ok {
			jobs = append(jobs, &job{t: t, ct: ct})
		}
	}
	run(jobs, func(j *job) {
		j.versions, j.err = reg.Versions(ctx, j.t.Name)
		if j.err != nil || len(j.versions) == 0 || j.versions[len(j.versions)-1].Fingerprint == compat.Fingerprint(j.ct) {
			return
		}
		want := j.versions
		if !j.t.Compatibility.Transitive() {
			want = want[len(want)-1:]
		}
		for _, v := range want {
			ct, err := c.remoteContract(ctx, v)
			if err != nil {
				j.err = err
				return
			}
			j.previous = append(j.previous, ct)
		}
	})
	for _, j := range jobs {
		switch {
		case j.err != nil:
			return j.err
		case len(j.versions) == 0:
			c.added(j.t)
		case j.previous != nil:
			c.check(j.t, j.ct, j.previous, byName[j.t.Name].Consumers)
		}
	}

	for _, rt := range remote {
		if _, ok := c.w.Topic(rt.Name); ok {
			continue
		}
		bt := baseTopic{name: rt.Name, service: rt.Service, owner: rt.Owner, consumers: rt.Consumers, deprecated: rt.Deprecated}
		if s, ok := c.w.Service(rt.Service); ok {
			bt.pos = registry.Position{File: s.File}
		}
		c.deleted(bt)
	}
	c.attachOwners()
	return nil
}

// remoteContract compiles a registry's version of a topic back into its
// contract.
func (c *comparison) remoteContract(ctx context.Context, v registry.TopicVersion) (compat.Contract, error) {
	ct := compat.Contract{Label: fmt.Sprintf("version %d", v.Version), KeyScalar: v.Key}
	schemas, err := c.opts.Registry.Schemas(ctx, v.Topic, v.Version)
	if err != nil {
		return ct, err
	}
	files := map[string][]byte{}
	for _, s := range schemas {
		files[s.Path] = []byte(s.Text)
	}
	schema, err := compat.CompileSources(ctx, files, c.w.Limits())
	if err != nil {
		return ct, fmt.Errorf("compile %s version %d from %s: %s", v.Topic, v.Version, c.opts.Registry, oneLine(err))
	}
	for _, s := range v.Subjects {
		if s.Message == "" {
			continue // an import
		}
		md, ok := schema.FindMessage(s.Message)
		if !ok {
			return ct, fmt.Errorf("%s version %d from %s: message %s missing from its schemas", v.Topic, v.Version, c.opts.Registry, s.Message)
		}
		if s.Subject == catalog.KeySubject(v.Topic) {
			ct.Key = md
		} else {
			ct.Values = append(ct.Values, md)
		}
	}
	return ct, nil
}

// run calls f on every item, fetchers at a time.
func run[T any](items []T, f func(T)) {
	var wg sync.WaitGroup
	next := make(chan T)
	for range min(fetchers, len(items)) {
		wg.Go(func() {
			for it := range next {
				f(it)
			}
		})
	}
	for _, it := range items {
		next <- it
	}
	close(next)
	wg.Wait()
}
