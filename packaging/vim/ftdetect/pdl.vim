" .pdl files are PDL interface files (pdl(5)).
autocmd BufRead,BufNewFile *.pdl setfiletype pdl
