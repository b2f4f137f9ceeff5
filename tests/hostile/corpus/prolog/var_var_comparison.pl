class(Age, Hours, '>50K') :- Age > Hours.
