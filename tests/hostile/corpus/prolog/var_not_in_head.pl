class(Age, '>50K') :- Income > 1.
