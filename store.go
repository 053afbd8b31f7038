package registry

import (
	"context"
	"time"
)

// Store keeps what must survive restarts, crashes, failovers and
// force-pushes: global schema IDs, topic versions, rejected commits and how
// far the sync got. Reads are served from an in-memory snapshot; the store
// is for durability and for sharing between replicas.
//
// Two implementations pass the same conformance suite (storetest): the
// embedded default (sqlite) and PostgreSQL (postgres).
type Store interface {
	// Apply writes one sync step in one transaction: either all of it is
	// stored or none of it. Schemas get their global IDs here: a content
	// already stored keeps its ID, new content gets the next unused one, and
	// no ID is ever reused. Apply returns every schema's ID by hash.
	//
	// Apply returns ECONFLICT, storing nothing, when the stored sync state's
	// commit is not step.After: another writer got there first. It also
	// returns ECONFLICT, storing nothing, when the store has called TryLead
	// (see Leaser) and does not hold the lease (PostgreSQL: or loses it
	// before the step commits): a leader that lost its lease does not write
	// over the next one.
	Apply(ctx context.Context, step SyncStep) (map[string]int64, error)

	// State returns how far the sync got; the zero SyncState before the first.
	State(ctx context.Context) (SyncState, error)

	// Tree returns the repository files at the served commit (path → content),
	// so a restart serves its last snapshot without reading Git. It returns
	// ENOTFOUND before the first sync.
	Tree(ctx context.Context) (map[string][]byte, error)

	// Compiled returns the compiled files stored with the served tree
	// (path → file), so a restart need not compile them again; empty
	// before the first tree, and possibly incomplete (a tree stored by an
	// older version kept none): callers check each file's key against the
	// tree and compile what does not match.
	Compiled(ctx context.Context) (map[string]CompiledFile, error)

	// Schema returns the schema with a global ID; ENOTFOUND if none.
	Schema(ctx context.Context, id int64) (*Schema, error)

	// Schemas returns every stored schema, by ascending ID.
	Schemas(ctx context.Context) ([]Schema, error)

	// Versions returns every topic version, by topic then version.
	Versions(ctx context.Context) ([]TopicVersion, error)

	// Rejections returns every open rejection, most recently opened first,
	// then the closed ones, most recently closed first: at most limit
	// closed ones (every one if limit is not positive). Open rejections are
	// never cut: there is at most one per topic, and one for the repository.
	Rejections(ctx context.Context, limit int) ([]Rejection, error)

	// Close releases the store's resources.
	Close() error
}

// Leaser elects the one replica that syncs. Followers serve reads and wait
// for Changes.
type Leaser interface {
	// TryLead takes the sync lease if it is free and reports whether it did.
	// The lease holds until ctx ends, Resign is called, or the process dies.
	// From the first call on, the store's Apply is fenced by the lease.
	TryLead(ctx context.Context) (bool, error)
	// Resign gives the lease up.
	Resign(ctx context.Context) error
	// Changes delivers a value after each Apply by any replica, until ctx ends.
	Changes(ctx context.Context) (<-chan struct{}, error)
	// RequestSync asks the replica holding the lease to sync now, as a
	// follower does with the webhooks it receives: the SyncRequests
	// channels of every replica, this one's included, deliver a value. A
	// request while no replica leads is lost; the next leader syncs when
	// it takes the lease anyway.
	RequestSync(ctx context.Context) error
	// SyncRequests delivers a value after each RequestSync by any replica,
	// until ctx ends. A burst of requests may deliver one value.
	SyncRequests(ctx context.Context) (<-chan struct{}, error)
}

// SyncStep is what one sync step writes.
type SyncStep struct {
	After string            // the sync state's commit this step follows ("" for the first)
	State SyncState         // the new sync state
	Tree  map[string][]byte // the repository files at State.Commit; nil: unchanged
	// TreeChanged, when not nil, names the paths of Tree that differ from
	// the tree the store holds, and the paths it holds that Tree no longer
	// has: a store may write only those. Nil: write Tree whole.
	TreeChanged []string
	Schemas     []SchemaContent // contents referenced by Versions, new or not
	Versions    []TopicVersion  // new versions; their subjects name schemas by hash
	// Rejections are commits found broken: each is added to the open
	// rejection of its topic (Topic "" for the whole commit) — its latest
	// commit, findings and UpdatedAt replaced, Commits counted up — or
	// opens one when there is none. Only Topic, Commit, Findings and
	// CreatedAt (when it was seen; zero: now) are read.
	Rejections []Rejection
	// Fixes close open rejections, after Fixes and before Rejections are
	// applied; a fix of a topic with no open rejection does nothing.
	Fixes    []Fix
	Orphaned []string // commit SHAs no longer on the branch: their versions are marked

	// Compiled holds files of Tree compiled (path → file), stored with
	// Tree and only with it: each replaces what the store held for its
	// path, files Tree no longer has are dropped, the others are kept.
	Compiled map[string]CompiledFile
}

// Validate checks what every store needs of a step before it touches its
// database: schemas have hashes, versions name a topic and a version from 1,
// subjects name a subject and a hash. It returns EINVALID otherwise.
func (step SyncStep) Validate() error {
	for _, sc := range step.Schemas {
		if sc.Hash == "" {
			return Errorf(EINVALID, "schema %s has no hash", sc.Path)
		}
	}
	for _, v := range step.Versions {
		if v.Topic == "" || v.Version < 1 {
			return Errorf(EINVALID, "version %d of topic %q: want a topic and a version from 1", v.Version, v.Topic)
		}
		for _, sub := range v.Subjects {
			if sub.Subject == "" || sub.Hash == "" {
				return Errorf(EINVALID, "%s version %d: a subject without name or hash", v.Topic, v.Version)
			}
		}
	}
	return nil
}

// CompiledFile is a repository file compiled, as a restart reads it back
// instead of compiling the file again.
type CompiledFile struct {
	Key        string // the content it was compiled from, its imports' included
	Descriptor []byte // a serialized google.protobuf.FileDescriptorProto, source info included
}

// SyncState is how far the sync got.
type SyncState struct {
	Source   string    `json:"source"` // where the repository comes from, credentials redacted
	Branch   string    `json:"branch"`
	Commit   string    `json:"commit"`    // the last commit processed
	SyncedAt time.Time `json:"synced_at"` // when it was processed
}

// SchemaContent is what a global schema ID names: one .proto file as in Git
// with its references (its imports), as the Confluent API serves it.
type SchemaContent struct {
	Hash       string            `json:"hash"`   // identity: SHA-256 over the format, text and references
	Format     string            `json:"format"` // "PROTOBUF"
	Path       string            `json:"path"`   // the file's path under the schema root
	Text       string            `json:"text"`
	References []SchemaReference `json:"references"`
}

// SchemaReference is an import of a schema, as a Confluent reference.
type SchemaReference struct {
	Name    string `json:"name"`    // the import path
	Subject string `json:"subject"` // the subject serving it (the import path)
	Version int    `json:"version"`
	Hash    string `json:"hash"` // the referenced content
}

// Schema is stored content with its global ID.
type Schema struct {
	ID int64 `json:"id"`
	SchemaContent
	CreatedAt time.Time `json:"created_at"`
}

// TopicVersion is one version of a topic's contract.
type TopicVersion struct {
	Topic       string          `json:"topic"`
	Version     int             `json:"version"`       // 1, 2, 3… per topic
	Fingerprint string          `json:"fingerprint"`   // canonical fingerprint of the contract
	Key         string          `json:"key,omitempty"` // a scalar key type; message keys are a subject
	Subjects    []SubjectSchema `json:"subjects"`      // the schema of each subject at this version
	Commit      Commit          `json:"commit"`
	Orphaned    bool            `json:"orphaned,omitempty"` // its commit vanished from the branch
	CreatedAt   time.Time       `json:"created_at"`
}

// SubjectSchema names the schema a subject has at a topic version. Every
// subject a topic version needs is listed: its own (<topic>-value, -key…)
// and those of the files they import (subject = the import path).
type SubjectSchema struct {
	Subject  string `json:"subject"`           // e.g. acme.retail.orders.events-value
	Version  int    `json:"version"`           // the subject's own version number (1, 2, 3…)
	Message  string `json:"message,omitempty"` // the root message, for a topic's own subjects
	Hash     string `json:"hash"`
	SchemaID int64  `json:"schema_id"` // filled by the store
}

// Commit identifies a Git commit and who made it.
type Commit struct {
	SHA     string    `json:"sha"`
	Author  string    `json:"author"`
	Email   string    `json:"email,omitempty"`
	Time    time.Time `json:"time"`
	Message string    `json:"message"`
}

// Rejection is a topic stuck on a commit whose change broke its
// compatibility (or, Topic "", a commit that does not load at all): it did
// not become a version, and the topic kept serving its last good one. It
// is one record per episode: opened by the first broken commit, updated by
// every later commit still broken, and closed by the commit that fixes the
// topic forward (a compatible change served as a new version, the served
// contract restored, or the topic removed).
type Rejection struct {
	ID       int64     `json:"id"`
	Topic    string    `json:"topic"`    // "" for a commit rejected whole
	Commit   Commit    `json:"commit"`   // the first rejected commit
	Latest   Commit    `json:"latest"`   // the latest commit still broken (Commit when Commits is 1)
	Commits  int       `json:"commits"`  // commits rejected in this episode, the first included
	Findings []Finding `json:"findings"` // at the latest commit
	Open     bool      `json:"open"`
	// FixedBy is the commit that closed the rejection; nil while open, and
	// for a rejection a store migrated from one record per commit closed
	// without knowing the commit.
	FixedBy   *Commit   `json:"fixed_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`         // first seen
	UpdatedAt time.Time `json:"updated_at"`         // last seen broken
	ClosedAt  time.Time `json:"closed_at,omitzero"` // when it was closed; zero while open
}

// Fix closes a topic's open rejection (Topic "": the whole-commit one).
type Fix struct {
	Topic  string
	Commit Commit    // the commit that fixed it
	At     time.Time // when; zero: now
}
