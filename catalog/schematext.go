package catalog

import (
	"bytes"
	"compress/flate"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	registry "github.com/backbone-registry/backbone"
)

// storedSchema is a schema a History holds. Its text is kept compressed
// (raw deflate): the texts of every version of every topic are most of
// what a History holds, and reads must not touch the database, so they
// stay in memory, at about 45% of their size. A restore keeps the texts
// it read as they are, serves them, and compacts them afterwards; the
// text is swapped atomically, so readers never wait.
type storedSchema struct {
	meta registry.Schema // Text is empty: see text
	text atomic.Pointer[schemaText]
}

// schemaText is a schema's text, raw or compressed.
type schemaText struct {
	data   string
	packed bool
	size   int // of the raw text
}

func newStoredSchema(s registry.Schema) *storedSchema {
	e := &storedSchema{meta: s}
	e.meta.Text = ""
	e.text.Store(&schemaText{data: s.Text})
	return e
}

// schema returns a copy of the schema, with its text.
func (e *storedSchema) schema() *registry.Schema {
	s := e.meta
	s.Text = e.textOf()
	return &s
}

// textOf returns the schema's text.
func (e *storedSchema) textOf() string {
	t := e.text.Load()
	if !t.packed {
		return t.data
	}
	return inflate(t.data, t.size)
}

// compact compresses the text if it is still raw.
func (e *storedSchema) compact() {
	t := e.text.Load()
	if t.packed {
		return
	}
	e.text.CompareAndSwap(t, &schemaText{data: deflate(t.data), packed: true, size: len(t.data)})
}

// Deflaters and inflaters are large (a compressor is about 1 MB): they
// are reused.
var (
	deflaters = sync.Pool{New: func() any {
		w, err := flate.NewWriter(io.Discard, flate.BestSpeed)
		if err != nil {
			panic(err) // only for an invalid level
		}
		return &deflater{w: w}
	}}
	inflaters = sync.Pool{New: func() any { return flate.NewReader(strings.NewReader("")) }}
)

// deflate compresses a text (BestSpeed: on the benchmark's proto files the
// best level saves another 7% and costs twice the time).
func deflate(text string) string {
	d := deflaters.Get().(*deflater)
	defer deflaters.Put(d)
	d.buf.Reset()
	d.w.Reset(&d.buf)
	_, err := io.WriteString(d.w, text)
	if err == nil {
		err = d.w.Close()
	}
	if err != nil {
		panic(err) // a bytes.Buffer does not fail
	}
	// The only allocation kept: one the size of the result, and no
	// garbage beside it to leave its memory pages half used.
	return d.buf.String()
}

// deflater is a compressor with its output buffer.
type deflater struct {
	w   *flate.Writer
	buf bytes.Buffer
}

// inflate decompresses what deflate produced.
func inflate(packed string, size int) string {
	r := inflaters.Get().(io.ReadCloser)
	defer inflaters.Put(r)
	if err := r.(flate.Resetter).Reset(strings.NewReader(packed), nil); err != nil {
		panic(err)
	}
	var b strings.Builder
	b.Grow(size + 1) // + 1: io.Copy reads until EOF
	if _, err := io.Copy(&b, r); err != nil {
		// Only this package compresses these bytes, in memory.
		panic("inflate a stored schema text: " + err.Error())
	}
	return b.String()
}
