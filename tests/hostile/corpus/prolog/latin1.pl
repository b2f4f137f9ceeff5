class(Age, 'é') :- Age > 1.
