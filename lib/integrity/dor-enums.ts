/**
 * The enum types and labels the DoR migrations define, in order. A test replays the migrations
 * and checks that this list matches what they create.
 */
export const DOR_ENUMS: { schema: string; name: string; values: string[] }[] = [
  { schema: 'public', name: 'agendaitemtype', values: ['student_update', 'faculty_update', 'announcement', 'presentation'] },
  { schema: 'public', name: 'meetingtype', values: ['general_update', 'presentations_and_updates', 'other'] },
  { schema: 'public', name: 'registrationstatus', values: ['pending', 'approved', 'rejected'] },
  { schema: 'public', name: 'userrole', values: ['STUDENT', 'FACULTY', 'SECRETARY', 'ADMIN'] },
]
