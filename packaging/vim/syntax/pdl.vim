" Vim syntax file
" Language:	PDL, the interface language of PDL's pdlc (pdl(5))
" Filenames:	*.pdl
"
" Keywords are the lexer's (compiler/lexer.l); the second group are names
" the grammar gives a meaning only in one place (on_fault reset, checkpoint
" every N batches, rx -> ... -> tx, quota N MiB), highlighted everywhere
" since a stray use of them reads as one anyway.

if exists("b:current_syntax")
  finish
endif

syn keyword pdlInclude		import
syn keyword pdlStructure	module struct interface domain sink pipeline labels opaque
syn keyword pdlStatement	stage state on_fault checkpoint clearance declassify quota emits
syn keyword pdlStorageClass	move inout own shared
syn keyword pdlType		void vec labeled rref bytes bool f64
syn keyword pdlType		u8 u16 u32 u64 i8 i16 i32 i64
syn keyword pdlConstant		powerset
syn keyword pdlContextual	reset restore every batches rx tx KiB MiB GiB

syn match   pdlOperator		"->"
syn match   pdlNumber		"\<0[xX]\x\+\>"
syn match   pdlNumber		"\<\d\+\>"
syn region  pdlString		start=+"+ skip=+\\\\\|\\"+ end=+"+ oneline
syn keyword pdlTodo		contained TODO FIXME XXX NOTE
syn match   pdlComment		"//.*$" contains=pdlTodo,@Spell
syn region  pdlComment		start="/\*" end="\*/" contains=pdlTodo,@Spell

hi def link pdlInclude		Include
hi def link pdlStructure	Structure
hi def link pdlStatement	Statement
hi def link pdlStorageClass	StorageClass
hi def link pdlType		Type
hi def link pdlConstant		Constant
hi def link pdlContextual	Keyword
hi def link pdlOperator		Operator
hi def link pdlNumber		Number
hi def link pdlString		String
hi def link pdlTodo		Todo
hi def link pdlComment		Comment

let b:current_syntax = "pdl"
