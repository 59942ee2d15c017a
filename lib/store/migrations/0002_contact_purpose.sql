-- doorstep schema, migration 2: what a contact was for.
--
-- The contact rules judge a contact by its content: a reminder, the debt's
-- details, a location inquiry (the only thing a third party or a family
-- member may be asked), or the notice of a visit. NULL: not recorded; for a
-- contact with anyone but the borrower or guarantor it is read as a
-- location inquiry.
ALTER TABLE contacts ADD COLUMN purpose TEXT
  CHECK (purpose IS NULL OR purpose='reminder' OR purpose='debt_details'
         OR purpose='location_inquiry' OR purpose='visit_notice');
