package catalog

import (
	"reflect"

	registry "github.com/backbone-registry/backbone"
)

// yamlCache keeps the YAML files a sync decoded, with the bytes they were
// decoded from, so that the next commit decodes only the files it changed.
// Decoded configurations are only read by the loader, never changed, so
// catalogs can share them.
type yamlCache struct {
	byPath map[string]decodedYAML
}

type decodedYAML struct {
	data  []byte
	value reflect.Value // a pointer to the decoded configuration
}

func newYAMLCache() *yamlCache { return &yamlCache{byPath: map[string]decodedYAML{}} }

// decode decodes data into v (a pointer) as decodeYAML does, or copies the
// value decoded from the same bytes before. A nil cache decodes.
func (c *yamlCache) decode(name string, data []byte, v any) *registry.Diagnostic {
	if c == nil {
		return decodeYAML(name, data, v)
	}
	dst := reflect.ValueOf(v)
	if e, ok := c.byPath[name]; ok && sameBytes(e.data, data) && e.value.Type() == dst.Type() {
		dst.Elem().Set(e.value.Elem())
		return nil
	}
	if d := decodeYAML(name, data, v); d != nil {
		delete(c.byPath, name)
		return d
	}
	kept := reflect.New(dst.Type().Elem())
	kept.Elem().Set(dst.Elem())
	c.byPath[name] = decodedYAML{data: data, value: kept}
	return nil
}

// forget drops the files that files no longer has.
func (c *yamlCache) forget(files map[string][]byte) {
	if c == nil {
		return
	}
	for name := range c.byPath {
		if _, ok := files[name]; !ok {
			delete(c.byPath, name)
		}
	}
}

// sameBytes is bytes.Equal that answers at once for the same slice, as
// unchanged files of a tree read incrementally are.
func sameBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	return string(a) == string(b)
}
