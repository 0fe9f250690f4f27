"""The message log: one append-only record per exchange (`models`), each committed to a leaf of the
"exchange" ledger (`leaves`), written in groups by the gateway (`log_writer`) and read back for the data
tracker and a record's inclusion proof (`service`)."""
