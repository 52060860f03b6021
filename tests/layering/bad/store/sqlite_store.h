// The store header the fixture points at.
