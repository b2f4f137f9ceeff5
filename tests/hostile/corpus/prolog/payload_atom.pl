class(Age, Job, '>50K') :- Job = '__import__("os").system("true")'.
