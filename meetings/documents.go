package meetings

import "github.com/hcm-edu/vanban/documents"

// DocumentLink tells documents which stored objects meetings' rows name:
// the files uploaded for a meeting (drafts that are not documents) and its
// packets, which documents' orphan sweep must keep. Pass it to
// documents.Service.AddLink when wiring up.
var DocumentLink = documents.Link{Objects: `SELECT object_key FROM meeting_files
	UNION SELECT object_key FROM meeting_packets`}
