package catalog

import (
	"context"
	"strconv"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/compat"
)

// VersionDiff compares two versions of a topic.
type VersionDiff struct {
	Topic    string
	Level    registry.Level
	From, To registry.TopicVersion
	// FromFiles and ToFiles are the .proto files of each version, by path,
	// imports included.
	FromFiles, ToFiles map[string][]byte
	// Findings are what breaks between the two in either direction (both
	// are checked, as FULL), naming the topic's current consumers.
	Findings []registry.Finding
}

// Diff compares two versions of a topic, each named by number or "latest".
// An empty to means latest; an empty from means the version before to. An
// empty level means the topic's level (WIRE_JSON for a topic that is gone).
func (c *Catalog) Diff(ctx context.Context, topic, from, to string, level registry.Level) (VersionDiff, error) {
	hist := c.History()
	if hist == nil {
		return VersionDiff{}, registry.Errorf(registry.ENOTFOUND, "no version history: the registry serves a plain directory (--dir); serve a Git repository (--source) for versions")
	}
	if to == "" {
		to = "latest"
	}
	toV, ok := hist.Version(topic, to)
	if !ok {
		return VersionDiff{}, registry.Errorf(registry.ENOTFOUND, "topic %q has no version %s", topic, to)
	}
	if from == "" {
		from = strconv.Itoa(toV.Version - 1)
	}
	fromV, ok := hist.Version(topic, from)
	if !ok {
		return VersionDiff{}, registry.Errorf(registry.ENOTFOUND, "topic %q has no version %s to compare with", topic, from)
	}
	var consumers []string
	if t, ok := c.Topic(topic); ok {
		consumers = t.Consumers
		if level == "" {
			level = t.Level
		}
	}
	if level == "" {
		level = registry.LevelWireJSON
	}
	d := VersionDiff{Topic: topic, Level: level, From: fromV, To: toV}
	var err error
	if d.FromFiles, err = hist.Files(fromV); err != nil {
		return VersionDiff{}, err
	}
	if d.ToFiles, err = hist.Files(toV); err != nil {
		return VersionDiff{}, err
	}
	prev, err := hist.Contract(ctx, fromV, c.Limits())
	if err != nil {
		return VersionDiff{}, err
	}
	cur, err := hist.Contract(ctx, toV, c.Limits())
	if err != nil {
		return VersionDiff{}, err
	}
	d.Findings = compat.Check([]compat.Contract{prev}, cur, compat.Options{
		Topic: topic, Mode: registry.CompatFull, Level: level, Consumers: consumers,
	})
	return d, nil
}
