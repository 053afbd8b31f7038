package client

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The disk cache keeps every fetched topic version, so that a service
// starts when the registry is down, and every resolved schema ID. Its
// layout, under the cache directory:
//
//	<host>-<hash of the registry URL>/topics/<topic>/<version>.json  a numbered version (immutable)
//	<host>-<hash of the registry URL>/topics/<topic>/latest.json     the last latest version fetched
//	<host>-<hash of the registry URL>/ids/<id>.json                  the topic version holding an ID
//
// Files are written to a temporary file and renamed into place, so a
// reader (another process starting at the same time) never sees half a
// file. Unreadable files are ignored: they are a cache miss.

// diskCache is the cache of one registry. A nil *diskCache caches nothing.
type diskCache struct {
	dir      string
	registry string // the registry's base URL
}

// cacheEntry is a cached topic version: the responses it was built from.
type cacheEntry struct {
	Registry    string          `json:"registry"`
	Topic       string          `json:"topic"`
	Version     int             `json:"version"`
	FetchedAt   time.Time       `json:"fetched_at"`
	Detail      json.RawMessage `json:"detail"`      // GET /v1/topics/{topic}/versions/{version}, JSON
	Descriptors []byte          `json:"descriptors"` // the same as application/x-protobuf: a FileDescriptorSet
}

// idEntry is a cached schema ID.
type idEntry struct {
	Registry string `json:"registry"`
	ID       int64  `json:"id"`
	idRef
}

var errNoCache = errors.New("no cache directory")

// root is the directory of this registry's entries.
func (d *diskCache) root() string {
	u, _ := url.Parse(d.registry)
	sum := sha256.Sum256([]byte(d.registry))
	return filepath.Join(d.dir, safeName(u.Host)+"-"+hex.EncodeToString(sum[:6]))
}

func (d *diskCache) versionFile(topic, version string) string {
	return filepath.Join(d.root(), "topics", safeName(topic), version+".json")
}

func (d *diskCache) idFile(id int64) string {
	return filepath.Join(d.root(), "ids", strconv.FormatInt(id, 10)+".json")
}

// readVersion returns a cached topic version, version being a number or
// "latest".
func (d *diskCache) readVersion(topic, version string) (*cacheEntry, error) {
	if d == nil {
		return nil, errNoCache
	}
	var e cacheEntry
	if err := readJSON(d.versionFile(topic, version), &e); err != nil {
		return nil, err
	}
	if e.Registry != d.registry || e.Topic != topic || (version != latestName && strconv.Itoa(e.Version) != version) {
		return nil, fmt.Errorf("%s: another registry's or topic's entry", d.versionFile(topic, version))
	}
	return &e, nil
}

// writeVersion caches a numbered topic version. Failing to cache is logged,
// not returned: the service has its schema.
func (d *diskCache) writeVersion(log *slog.Logger, e *cacheEntry) {
	if d != nil {
		d.write(log, d.versionFile(e.Topic, strconv.Itoa(e.Version)), e)
	}
}

// writeLatest records e as the latest version of its topic.
func (d *diskCache) writeLatest(log *slog.Logger, e *cacheEntry) {
	if d != nil && e != nil {
		d.write(log, d.versionFile(e.Topic, latestName), e)
	}
}

// readID returns the topic version holding schema id.
func (d *diskCache) readID(id int64) (idRef, error) {
	if d == nil {
		return idRef{}, errNoCache
	}
	var e idEntry
	if err := readJSON(d.idFile(id), &e); err != nil {
		return idRef{}, err
	}
	if e.Registry != d.registry || e.ID != id || e.Topic == "" || e.Version < 1 {
		return idRef{}, fmt.Errorf("%s: not an entry of schema %d", d.idFile(id), id)
	}
	return e.idRef, nil
}

func (d *diskCache) writeID(log *slog.Logger, id int64, ref idRef) {
	if d != nil {
		d.write(log, d.idFile(id), idEntry{Registry: d.registry, ID: id, idRef: ref})
	}
}

func (d *diskCache) write(log *slog.Logger, path string, v any) {
	if err := writeFileAtomic(path, v); err != nil {
		log.Warn("cannot cache schema", slog.String(keyFile, path), slog.String(keyError, err.Error()))
		return
	}
	log.Debug("schema cached", slog.String(keyFile, path))
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// writeFileAtomic writes v as JSON to path through a temporary file in the
// same directory, renamed into place once complete.
func writeFileAtomic(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// safeName turns s into one file name: letters, digits, '_', '-' and '.'
// are kept (but not a leading '.'), every other byte is %XX.
func safeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == '.' && i > 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	if b.Len() == 0 {
		return "%"
	}
	return b.String()
}
