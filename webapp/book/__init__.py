"""The club's book: the domain both faces (field app and desk) call — entry types, review,
scheduling, figures, exports, vocabularies and field definitions."""
