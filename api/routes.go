package api

import "github.com/hcm-edu/vanban/internal/httpx"

// route is a line of the table: an httpx.Route declared here, so that
// the lines need no field names.
type route httpx.Route

// Routes is the JSON API's route table. Every route carries the
// operationId it has in the OpenAPI document; a test checks the two agree.
func (s *Server) Routes() []httpx.Route {
	table := []route{
		{"GET", "/api/v1/openapi.json", "getOpenAPI", false, false, s.openAPI},
		{"POST", "/api/v1/auth/login", "login", false, false, s.apiLogin},
		{"POST", "/api/v1/auth/logout", "logout", true, false, s.apiLogout},
		{"GET", "/api/v1/me", "getMe", true, false, s.getMe},
		{"GET", "/api/v1/units", "listUnits", true, false, s.listUnits},
		{"GET", "/api/v1/units/:id", "getUnit", true, false, s.getUnit},
		{"GET", "/api/v1/vocabulary", "getVocabulary", true, false, s.getVocabulary},
		{"GET", "/api/v1/documents", "listDocuments", true, false, s.listDocuments},
		{"POST", "/api/v1/documents", "createDocument", true, true, s.createDocument},
		{"GET", "/api/v1/documents/:id", "getDocument", true, false, s.getDocument},
		{"GET", "/api/v1/documents/:id/versions/:version/download", "downloadDocumentVersion", true, false, s.downloadVersion},
		{"GET", "/api/v1/documents/:id/versions/:version/link", "getDocumentVersionLink", true, false, s.versionLink},
		{"GET", "/api/v1/documents/:id/versions/:version/verification", "getVerification", true, false, s.getVerification},
		{"GET", "/api/v1/documents/:id/attachments", "listAttachments", true, false, s.listAttachments},
		{"POST", "/api/v1/documents/:id/attachments", "addAttachment", true, true, s.addAttachment},
		{"DELETE", "/api/v1/documents/:id/attachments/:attachment", "removeAttachment", true, false, s.removeAttachment},
		{"POST", "/api/v1/documents/:id/attachments/:attachment/move", "moveAttachment", true, false, s.moveAttachment},
		{"GET", "/api/v1/documents/:id/attachments/:attachment/download", "downloadAttachment", true, false, s.downloadAttachment},
		{"GET", "/api/v1/documents/:id/signatures", "listDocumentSignatures", true, false, s.listSignatures},
		{"POST", "/api/v1/documents/:id/sign", "signDocument", true, false, s.signDocument},
		{"POST", "/api/v1/documents/:id/seal", "sealDocument", true, false, s.sealDocument},
		{"POST", "/api/v1/verify", "verifyPDF", true, true, s.verifyPDF},
		{"PUT", "/api/v1/me/signature-image", "setMySignatureImage", true, true, s.setMySignatureImage},
		{"PUT", "/api/v1/units/:id/seal-image", "setUnitSealImage", true, true, s.setUnitSealImage},
		{"POST", "/api/v1/documents/:id/register", "registerDocument", true, false, s.registerDocument},
		{"POST", "/api/v1/documents/:id/issue", "issueDocument", true, false, s.issueDocument},
		{"GET", "/api/v1/documents/:id/deliveries", "listDeliveries", true, false, s.listDeliveries},
		{"POST", "/api/v1/documents/:id/recall", "recallDocument", true, false, s.recallDocument},
		{"GET", "/api/v1/documents/:id/history", "getDocumentHistory", true, false, s.documentHistory},
		{"GET", "/api/v1/inbox", "listInbox", true, false, s.listInbox},
		{"GET", "/api/v1/inbox/:id", "getDelivery", true, false, s.getDelivery},
		{"POST", "/api/v1/inbox/:id/accept", "acceptDelivery", true, false, s.acceptDelivery},
		{"POST", "/api/v1/inbox/:id/refuse", "refuseDelivery", true, false, s.refuseDelivery},
		{"POST", "/api/v1/inbox/:id/assign", "assignDelivery", true, false, s.assignDelivery},
		{"POST", "/api/v1/inbox/:id/status", "updateDeliveryStatus", true, false, s.updateDeliveryStatus},
		{"POST", "/api/v1/inbox/:id/relay", "relayDocument", true, false, s.relayDocument},
		{"POST", "/api/v1/inbox/:id/recall-answer", "answerRecall", true, false, s.answerRecall},
		{"GET", "/api/v1/unit-groups", "listUnitGroups", true, false, s.listUnitGroups},
		{"GET", "/api/v1/relay-targets", "listRelayTargets", true, false, s.listRelayTargets},
		{"POST", "/api/v1/unit-groups", "saveUnitGroup", true, false, s.saveUnitGroup},
		{"GET", "/api/v1/registers/:kind", "exportRegister", true, false, s.exportRegister},
		{"GET", "/api/v1/indicators", "getIndicators", true, false, s.getIndicators},
		{"GET", "/api/v1/notifications", "listNotifications", true, false, s.listNotifications},
		{"POST", "/api/v1/notifications/read", "markNotificationsRead", true, false, s.markNotificationsRead},
		{"GET", "/api/v1/documents/:id/edxml", "exportEdxmlPackage", true, false, s.exportEdxml},
		{"POST", "/api/v1/edxml/packages", "importEdxmlPackage", true, true, s.importEdxml},
		{"GET", "/api/v1/inbox/:id/edxml-status", "exportEdxmlStatus", true, false, s.exportEdxmlStatus},
		{"POST", "/api/v1/edxml/statuses", "importEdxmlStatus", true, false, s.importEdxmlStatus},
		{"GET", "/api/v1/meetings", "listMyMeetings", true, false, s.listMyMeetings},
		{"POST", "/api/v1/meetings", "createMeeting", true, false, s.createMeeting},
		{"GET", "/api/v1/meetings/:id", "getMeeting", true, false, s.getMeeting},
		{"PATCH", "/api/v1/meetings/:id", "updateMeeting", true, false, s.updateMeeting},
		{"POST", "/api/v1/meetings/:id/items", "addAgendaItem", true, false, s.addAgendaItem},
		{"PUT", "/api/v1/meetings/:id/items/order", "reorderAgenda", true, false, s.reorderAgenda},
		{"POST", "/api/v1/meetings/:id/items/:item/documents", "attachAgendaDocument", true, false, s.attachAgendaDocument},
		{"POST", "/api/v1/meetings/:id/items/:item/files", "uploadAgendaFile", true, true, s.uploadAgendaFile},
		{"PUT", "/api/v1/meetings/:id/agenda-documents/:doc", "replaceAgendaDocument", true, false, s.replaceAgendaDocument},
		{"DELETE", "/api/v1/meetings/:id/agenda-documents/:doc", "removeAgendaDocument", true, false, s.removeAgendaDocument},
		{"POST", "/api/v1/meetings/:id/participants", "addParticipant", true, false, s.addParticipant},
		{"DELETE", "/api/v1/meetings/:id/participants/:participant", "removeParticipant", true, false, s.removeParticipant},
		{"GET", "/api/v1/meetings/:id/packet", "getMeetingPacket", true, false, s.getMeetingPacket},
		{"GET", "/api/v1/meetings/:id/documents/:doc/download", "downloadMeetingDocument", true, false, s.downloadMeetingDocument},
		{"GET", "/api/v1/meetings/:id/documents/:doc/link", "getMeetingDocumentLink", true, false, s.meetingDocumentLink},
		{"POST", "/api/v1/meetings/:id/check-in", "checkIn", true, false, s.checkIn},
		{"GET", "/api/v1/meetings/:id/attendance", "getAttendance", true, false, s.getAttendance},
		{"POST", "/api/v1/meetings/:id/speakers", "requestToSpeak", true, false, s.requestToSpeak},
		{"GET", "/api/v1/meetings/:id/speakers", "listSpeakers", true, false, s.listSpeakers},
		{"POST", "/api/v1/speakers/:id", "updateSpeaker", true, false, s.updateSpeaker},
		{"POST", "/api/v1/meetings/:id/comments", "addComment", true, false, s.addComment},
		{"GET", "/api/v1/meetings/:id/comments", "listComments", true, false, s.listComments},
		{"POST", "/api/v1/meetings/:id/ballots", "openBallot", true, false, s.openBallot},
		{"GET", "/api/v1/meetings/:id/ballots", "listBallots", true, false, s.listBallots},
		{"POST", "/api/v1/ballots/:id/votes", "castVote", true, false, s.castVote},
		{"POST", "/api/v1/ballots/:id/close", "closeBallot", true, false, s.closeBallot},
		{"GET", "/api/v1/ballots/:id/results", "getBallotResults", true, false, s.getBallotResults},
		{"POST", "/api/v1/meetings/:id/minutes", "draftMinutes", true, false, s.draftMinutes},
		{"POST", "/api/v1/meetings/:id/minutes/sign", "signMinutes", true, false, s.signMinutes},
		{"POST", "/api/v1/meetings/:id/invitation", "createInvitation", true, false, s.createInvitation},
		{"POST", "/api/v1/meetings/:id/conclusion", "setConclusion", true, false, s.setConclusion},
		{"GET", "/api/v1/meetings/:id/events", "meetingEvents", true, false, s.meetingEvents},
	}
	routes := make([]httpx.Route, len(table))
	for i, r := range table {
		routes[i] = httpx.Route(r)
	}
	return routes
}
