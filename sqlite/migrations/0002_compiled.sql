-- The served tree's files compiled (a serialized FileDescriptorProto each,
-- with the key of the content it was compiled from), so that a restart
-- reads them back instead of compiling the tree again.
CREATE TABLE compiled (
	path       TEXT NOT NULL PRIMARY KEY,
	file_key   TEXT NOT NULL,
	descriptor BLOB NOT NULL
) STRICT;
